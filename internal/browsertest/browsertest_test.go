package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

const helperPage = `<!doctype html><html lang="zh-CN"><body>
<form><textarea id="empty"></textarea><textarea id="full">旧的内容</textarea>
<input id="title" value="旧标题"><input id="day" type="date">
<input id="files" type="file" multiple></form>
<p id="changed"></p>
<script>document.getElementById("day").addEventListener("change", () => { document.getElementById("changed").textContent = "changed"; });</script>
</body></html>`

// The helpers a form test needs work in the real browser: Fill on an
// empty and a filled textarea and on an input, SetValue with its change
// event, and UploadFiles choosing two files.
func TestBrowser_HelpersFillSetValueUpload(t *testing.T) {
	b := Start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(helperPage))
	}))
	t.Cleanup(srv.Close)
	b.Navigate(srv.URL)
	b.Fill("#empty", "第一行")
	b.Fill("#full", "新的内容")
	b.Fill("#title", "新标题")
	for css, want := range map[string]string{"#empty": "第一行", "#full": "新的内容", "#title": "新标题"} {
		if got := b.Value(css); got != want {
			t.Errorf("%s = %q, want %q", css, got, want)
		}
	}
	b.SetValue("#day", "2027-01-04")
	if got := b.Value("#day"); got != "2027-01-04" || b.Text("#changed") != "changed" {
		t.Errorf("date = %q, change event seen: %q", got, b.Text("#changed"))
	}
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"营业执照.png", "b.csv"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	b.UploadFiles("#files", paths...)
	if got := b.Value("#files"); got == "" {
		t.Fatal("no file chosen")
	}
	n, err := run(b, chromedp.Evaluate[string](`Array.from(document.getElementById("files").files).map(f => f.name).join(",")`))
	if err != nil || n != "营业执照.png,b.csv" {
		t.Errorf("chosen files %q (%v)", n, err)
	}
}
