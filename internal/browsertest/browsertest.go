// Package browsertest drives a real, headless Debian chromium through the
// Chrome DevTools Protocol (chromedp) for end-to-end tests of the web UI.
//
// Start is the one chromium launcher of the test suite. It skips the test
// under -short, and, with the reason, when no chromium is installed,
// unless SHUYU_REQUIRE_BROWSER=1 (CI sets it, after .ci/run installs
// chromium and fonts-wqy-microhei so that Chinese renders), in which case
// a missing browser fails the test. Every helper fails the test on error,
// naming the page it was on and saving a screenshot for humans. Tests that
// need chromedp actions the helpers lack run them on Context.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ShotDir is where screenshots go unless a test names a path.
const ShotDir = "/tmp/shuyu-shots"

// Browser is one headless chromium with one tab.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab
	Timeout time.Duration   // per helper call; 20s by default
}

// execPath finds chromium: $SHUYU_CHROMIUM, Debian's /usr/bin/chromium, or
// a chromium/chrome on PATH.
func execPath() string {
	if p := os.Getenv("SHUYU_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Option changes how Start launches chromium.
type Option func(*options)

type options struct{ width, height int }

// WindowSize sets the window's size (1366×768 unless set).
func WindowSize(width, height int) Option {
	return func(o *options) { o.width, o.height = width, height }
}

// Start launches chromium headless at 1366×768 with a fresh profile and
// returns its tab; it is closed when the test ends. Under -short it skips
// the test: browser tests are the slowest of the suite.
func Start(t testing.TB, opt ...Option) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	o := options{width: 1366, height: 768}
	for _, f := range opt {
		f(&o)
	}
	path := execPath()
	if path == "" {
		msg := "browser test skipped: no chromium found (apt-get install chromium fonts-wqy-microhei, or set SHUYU_CHROMIUM)"
		if os.Getenv("SHUYU_REQUIRE_BROWSER") == "1" {
			t.Fatal("SHUYU_REQUIRE_BROWSER=1 but " + msg)
		}
		fmt.Println(msg)
		t.Skip(msg)
	}
	profile, err := os.MkdirTemp("", "shuyu-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(o.width, o.height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	b := &Browser{t: t, ctx: ctx, Timeout: 20 * time.Second}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // kills chromium and waits for it
		os.RemoveAll(profile)
	})
	// Start the browser now, so that a launch problem is reported as such.
	// The first run must use the tab's own context: chromedp ties the
	// browser's life to the context that started it.
	timer := time.AfterFunc(60*time.Second, cancelTab)
	defer timer.Stop()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return b
}

// Context is the tab's chromedp context, for tests that run chromedp
// actions themselves; it ends with the test.
func (b *Browser) Context() context.Context { return b.ctx }

// run runs one action with the helper timeout.
func run[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.Timeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// fail stops the test with what the browser was showing.
func (b *Browser) fail(format string, args ...any) {
	b.t.Helper()
	where, _ := run(b, chromedp.Location())
	text, _ := run(b, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ""`))
	shot := filepath.Join(ShotDir, "fail-"+safeName(b.t.Name())+".png")
	if png, err := run(b, chromedp.CaptureScreenshot()); err == nil {
		os.MkdirAll(ShotDir, 0o755)
		os.WriteFile(shot, png, 0o644)
	}
	b.t.Fatalf("%s\n  at %s (screenshot %s)\n  page text: %s", fmt.Sprintf(format, args...), where, shot, strings.Join(strings.Fields(text), " "))
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// Navigate loads url and waits for the page.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	if _, err := run(b, chromedp.Navigate(url)); err != nil {
		b.fail("navigate %s: %v", url, err)
	}
}

// Fill replaces the value of the form field (an <input> or a <textarea>,
// empty or not) matched by the CSS selector by typing value into it (key
// events, as a user would). chromedp's Clear cannot empty a <textarea>
// that holds no text node, so a textarea is emptied by script first.
func (b *Browser) Fill(css, value string) {
	b.t.Helper()
	isTextarea, err := run(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+q(css)+`);
		if (!e || e.tagName !== "TEXTAREA") return false;
		e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`))
	if err != nil {
		b.fail("clear %s: %v", css, err)
	}
	if !isTextarea {
		if _, err := run(b, chromedp.Clear(chromedp.CSS(css))); err != nil {
			b.fail("clear %s: %v", css, err)
		}
	}
	if _, err := run(b, chromedp.SendKeys(chromedp.CSS(css), value)); err != nil {
		b.fail("fill %s: %v", css, err)
	}
}

// SetValue sets the value of the form control matched by css at once (no
// key events) and fires its input and change events, as a date picker or a
// paste does.
func (b *Browser) SetValue(css, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false;
		e.value = %s; e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === %s; })()`, q(css), q(value), q(value))
	ok, err := run(b, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		b.fail("set %s to %q: %v", css, value, err)
	}
}

// UploadFiles chooses the files at paths in the <input type="file">
// matched by css (DOM.setFileInputFiles), as the file dialog would; the
// form is not submitted.
func (b *Browser) UploadFiles(css string, paths ...string) {
	b.t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			b.t.Fatalf("upload %s: %v", css, err)
		}
	}
	if _, err := run(b, chromedp.SetUploadFiles(chromedp.CSS(css), paths)); err != nil {
		b.fail("upload %v in %s: %v", paths, css, err)
	}
}

// Select chooses the option with value in the <select> matched by css and
// fires its change event (as a user's choice does).
func (b *Browser) Select(css, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false;
		e.value = %s; e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === %s; })()`, q(css), q(value), q(value))
	ok, err := run(b, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		b.fail("select %q in %s: %v", value, css, err)
	}
}

// Click clicks the element matched by css. When the click loads a new page
// (a link, a form button), use ClickNav.
func (b *Browser) Click(css string) {
	b.t.Helper()
	if _, err := run(b, chromedp.Click(chromedp.CSS(css))); err != nil {
		b.fail("click %s: %v", css, err)
	}
}

// ClickNav clicks and waits until the browser shows the next document.
func (b *Browser) ClickNav(css string) {
	b.t.Helper()
	if _, err := run(b, chromedp.Evaluate[bool](`(window.__browsertestOld = true)`)); err != nil {
		b.fail("mark page: %v", err)
	}
	b.Click(css)
	b.waitJS(`!window.__browsertestOld && document.readyState === "complete"`, "a new page after clicking "+css)
}

// waitJS polls a JavaScript condition until it holds or the timeout passes.
func (b *Browser) waitJS(cond, what string) {
	b.t.Helper()
	deadline := time.Now().Add(b.Timeout)
	for {
		ok, err := run(b, chromedp.Evaluate[bool](`(() => { try { return !!(`+cond+`); } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fail("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitText waits until the page's visible text contains text.
func (b *Browser) WaitText(text string) {
	b.t.Helper()
	b.waitJS(`document.body && document.body.innerText.includes(`+q(text)+`)`, fmt.Sprintf("text %q", text))
}

// HasText reports whether the page's visible text contains text now.
func (b *Browser) HasText(text string) bool {
	b.t.Helper()
	ok, err := run(b, chromedp.Evaluate[bool](`!!document.body && document.body.innerText.includes(`+q(text)+`)`))
	if err != nil {
		b.fail("read page text: %v", err)
	}
	return ok
}

// Text returns the visible text of the first element matched by css.
func (b *Browser) Text(css string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+q(css)+`); return e ? e.innerText : null; })()`))
	if err != nil {
		b.fail("text of %s: %v", css, err)
	}
	return s
}

// Location returns the current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	u, err := run(b, chromedp.Location())
	if err != nil {
		b.fail("location: %v", err)
	}
	return u
}

// Screenshot saves the whole page as a PNG (for humans to look at); a bare
// file name goes to ShotDir.
func (b *Browser) Screenshot(path string) string {
	b.t.Helper()
	if !strings.Contains(path, "/") {
		path = filepath.Join(ShotDir, path)
	}
	png, err := run(b, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// Login logs in through the real login page at base (the server's root
// URL) and waits for the page after it. It does not check that the login
// succeeded: the caller looks for the home page or the error it expects.
func (b *Browser) Login(base, username, password string) {
	b.t.Helper()
	b.Navigate(strings.TrimSuffix(base, "/") + "/login")
	b.Fill("#username", username)
	b.Fill("#password", password)
	b.ClickNav("#login-submit")
}

// q quotes s as a JavaScript string literal.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Value returns the current value of the form field matched by css.
func (b *Browser) Value(css string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+q(css)+`); return e ? e.value : null; })()`))
	if err != nil {
		b.fail("value of %s: %v", css, err)
	}
	return s
}
