package web

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowUpload starts an upload whose body the test feeds by hand: it
// returns the writer of the file's bytes and a channel with the answer.
func (h *domainHarness) slowUpload(user string, entry int64, name string) (io.WriteCloser, <-chan int) {
	h.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan int, 1)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/domain/entries/%d/uploads?wait=1", h.srv.URL, entry), pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+h.token(user))
	go func() {
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			done <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		h.t.Fatal(err)
	}
	return &partCloser{w: fw, mw: mw, pw: pw}, done
}

type partCloser struct {
	w  io.Writer
	mw *multipart.Writer
	pw *io.PipeWriter
}

func (p *partCloser) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *partCloser) Close() error {
	p.mw.Close()
	return p.pw.Close()
}

// jobOf returns the newest job of an entry: its status and error message.
func (h *domainHarness) jobOf(entry int64) (status, msg string) {
	h.t.Helper()
	err := h.db.SQL().QueryRowContext(context.Background(), h.db.Rebind(`SELECT status, error_message FROM domain_jobs WHERE entry_id = ? ORDER BY id DESC LIMIT 1`), entry).
		Scan(&status, &msg)
	if err != nil {
		return "", ""
	}
	return status, msg
}

// R10.1: receiving a file holds no lock of the domain. While department A's
// upload is still streaming in (its body held open by the test), department
// B's upload is received, loaded and answered; A's then finishes too.
func TestDomainUpload_R10_1_SlowUploadDoesNotBlockOtherDepartment(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	a := h.entry("ZW-GA-9101", "dept-gongan", true)
	b := h.entry("HY-WJ-9102", "dept-haiyuan-weijian", true)
	ids := domainIDs(400)
	names := make([]string, len(ids))
	for i := range names {
		names[i] = fmt.Sprintf("居民%d", i)
	}
	csv := peopleCSV(ids, names)

	w, doneA := h.slowUpload("dept-gongan", a, "a.csv")
	half := len(csv) / 2
	if _, err := io.WriteString(w, csv[:half]); err != nil {
		t.Fatal(err)
	}
	// A's job is open and receiving.
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := h.jobOf(a); st != "loading"; st, _ = h.jobOf(a) {
		if time.Now().After(deadline) {
			t.Fatalf("A's job never started: %q", st)
		}
		time.Sleep(20 * time.Millisecond)
	}

	doneB := make(chan string, 1)
	go func() {
		resp, data := h.upload("dept-haiyuan-weijian", b, "b.csv", []byte(peopleCSV(ids[:50], names[:50])), "?wait=1")
		doneB <- fmt.Sprintf("%d %s", resp.StatusCode, data)
	}()
	select {
	case got := <-doneB:
		if !strings.HasPrefix(got, "201") {
			t.Fatalf("B's upload: %.300s", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("B's upload waited for A's body: a lock is held while a file streams in")
	}
	if st, _ := h.jobOf(a); st != "loading" {
		t.Fatalf("A's job is %q while its body is still open", st)
	}
	io.WriteString(w, csv[half:])
	w.Close()
	if st := <-doneA; st != http.StatusCreated {
		t.Fatalf("A's upload: %d", st)
	}
}

// R10.1: an upload body slower than the minimum rate is cut off with a
// clear error; its job fails with that message, nothing is staged or
// loaded, and the entry keeps no new version.
func TestDomainUpload_R10_1_TooSlowBodyRefused(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	h.srvv.cfg.UploadMinRate = 64 << 10 // 64 KiB/s …
	h.srvv.cfg.UploadRateWindow = 400 * time.Millisecond
	a := h.entry("ZW-GA-9103", "dept-gongan", true)

	w, done := h.slowUpload("dept-gongan", a, "slow.csv")
	defer w.Close() // on failure, end the request so the server can close
	io.WriteString(w, "id_no,name,age,county,mobile\n")
	// … then a byte now and then: a slowloris.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := io.WriteString(w, "1"); err != nil {
					return
				}
			}
		}
	}()
	defer close(stop)
	deadline := time.Now().Add(20 * time.Second)
	var st, msg string
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st, msg = h.jobOf(a); st == "failed" {
			break
		}
	}
	if st != "failed" || !strings.Contains(msg, "上传速度过慢") || !strings.Contains(msg, "too slow") {
		t.Fatalf("slow upload's job: %q %q", st, msg)
	}
	select {
	case code := <-done:
		if code >= 500 || (code > 0 && code < 400) {
			t.Fatalf("slow upload answered %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow upload's request never ended")
	}
	ents, _ := os.ReadDir(filepath.Join(h.data, "domain", "staging"))
	if len(ents) != 0 {
		t.Fatalf("staging left behind: %d files", len(ents))
	}
	if v, _ := h.vault.Current(context.Background(), "zw_ga_9103"); v != nil {
		t.Fatalf("a version was loaded: %+v", v)
	}
	// A normal upload still works.
	h.srvv.cfg.UploadMinRate = 0
	h.srvv.cfg.UploadRateWindow = 0
	h.uploadOK("dept-gongan", a, "ok.csv", peopleCSV(domainIDs(5), []string{"甲", "乙", "丙", "丁", "戊"}))
}
