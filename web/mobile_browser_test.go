package web

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// TestBrowser_MobileNoHorizontalOverflow: on a 390×844 phone screen the
// public front page and its policies, released products and services, the
// home page, the catalog, an entry, the workbench, the application form and
// cart, list pages with the list bar and a product page with its check's
// progress bar fit the width (no
// horizontal scrolling of the page: document.documentElement.scrollWidth
// <= innerWidth), and the header stays one readable band, not a character
// per line.
func TestBrowser_MobileNoHorizontalOverflow(t *testing.T) {
	b := browsertest.Start(t, browsertest.WindowSize(390, 844))
	// Headless chromium keeps windows at least 500 px wide: emulate the
	// phone's screen as its device metrics.
	if err := chromedp.Do(b.Context(), chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	h, _, s, id := newSandboxHarness(t, "sqlite")
	base := h.srv.URL
	// A product whose automatic check is held, to show its progress bar.
	hold := make(chan struct{})
	s.outputHold = hold
	defer close(hold)
	pid := outputSetup(t, h, id)
	if st, _ := uiAs(t, h, "merchant-a").follow(fmt.Sprintf("/output/products/%d/request", pid), nil); st != 200 {
		t.Fatalf("request output: %d", st)
	}
	check := func(path string) {
		t.Helper()
		b.Navigate(base + path)
		type measure struct {
			Scroll, Inner, Header float64
		}
		m, err := chromedp.Run(b.Context(), chromedp.Evaluate[measure](`({Scroll: document.documentElement.scrollWidth,
			Inner: window.innerWidth, Header: document.querySelector("header.top").getBoundingClientRect().height})`))
		if err != nil {
			t.Fatal(err)
		}
		// A page wider than the phone widens the emulated layout viewport.
		if m.Inner > 390 || m.Inner < 380 {
			b.Screenshot("mobile-overflow.png")
			t.Fatalf("%s: the page lays out %v px wide on a 390 px screen", path, m.Inner)
		}
		if m.Scroll > m.Inner {
			b.Screenshot("mobile-overflow.png")
			t.Errorf("%s: the page is %v px wide on a %v px screen", path, m.Scroll, m.Inner)
		}
		if m.Header > 120 {
			t.Errorf("%s: the header is %v px high (wrapping per character?)", path, m.Header)
		}
	}
	for _, p := range []string{"/", "/policies", "/output/released", "/services", "/catalog"} {
		check(p)
	}
	var entry int64
	if err := h.db.SQL().QueryRow(`SELECT id FROM catalog_entries WHERE published_rev_id IS NOT NULL ORDER BY id LIMIT 1`).Scan(&entry); err != nil {
		t.Fatal(err)
	}
	check(fmt.Sprintf("/catalog/%d", entry))
	b.Login(base, "merchant-a", sqltest.Password)
	check("/")
	check("/catalog")
	check(fmt.Sprintf("/workspaces/%d", id))
	b.Screenshot("mobile-workbench.png")
	for _, p := range []string{"/inbox", "/output/products", "/workspaces", "/bills", "/applications/new", "/cart"} {
		check(p)
	}
	check(fmt.Sprintf("/output/products/%d", pid))
	if !b.HasText(T(langZH, "output.progress.title")) {
		t.Error("the product page shows no check progress")
	}
	b.Screenshot("mobile-check-progress.png")
}
