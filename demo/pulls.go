package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
	"shuyu/synth"
)

// The demo's scheduled pull (issue 18): the market regulator's daily entry
// ZW-SC-0001 (企业登记信息) is pulled from a stand-in of the sharing
// platform's HTTP JSON interface that the demo itself serves on a loopback
// port, with the synthetic enterprises, signed with HMAC-SM3 under a demo
// app key and secret. No database server is needed.

const (
	demoPullEntry  = "ZW-SC-0001"
	demoPullName   = "一体化政务数据共享交换平台（演示）"
	demoPullKey    = "zw-scjg-demo"
	demoPullSecret = "demo-only-secret-共享交换平台"
)

// SharingPlatform serves the stand-in on 127.0.0.1 until ctx ends and
// returns its page URL. Requests whose signature does not verify get 401.
func SharingPlatform(ctx context.Context, now time.Time) (string, error) {
	var buf bytes.Buffer
	rows := 0
	for _, ds := range synth.Datasets() {
		if ds.Name == "enterprise" {
			rows = ds.DemoRows
		}
	}
	if err := synth.WriteCSV(&buf, "enterprise", rows, DomainSeed, now); err != nil {
		return "", err
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) == 0 {
		return "", fmt.Errorf("demo: sharing platform data: %v", err)
	}
	header, records := recs[0], make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = r[i]
		}
		records = append(records, m)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		want := supply.Sign(demoPullSecret, supply.SigningString(r.Method, r.URL.EscapedPath(), q, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")))
		if r.Header.Get("X-App-Key") != demoPullKey || r.Header.Get("X-Signature") != want {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"code": 401, "message": "签名无效"})
			return
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("page_size"))
		if page < 1 || size < 1 {
			page, size = 1, 1000
		}
		from, to := min((page-1)*size, len(records)), min(page*size, len(records))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"code": 0, "data": map[string]any{"total": len(records), "records": records[from:to]}})
	})}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String() + "/gateway/scjg/enterprise", nil
}

// PullSource registers the demo's source of ZW-SC-0001 at url (or points
// the existing one at url: the stand-in's port changes at every start) and,
// the first time, runs one pull through svc and waits for it. It skips
// when the entry is not published.
func PullSource(ctx context.Context, db *sqlstore.DB, svc *supply.Service, url string) error {
	e, err := db.DomainEntryByCode(ctx, demoPullEntry)
	if shuyu.ErrorCode(err) == shuyu.ENOTFOUND || (err == nil && !e.Published) {
		return nil
	}
	if err != nil {
		return err
	}
	in := sqlstore.PullSourceInput{Name: demoPullName, Kind: sqlstore.PullHTTP, WindowStart: "01:00", WindowEnd: "05:00",
		Config: sqlstore.PullConfig{URL: url, AppKey: demoPullKey, PageSize: 2000, Mode: sqlstore.PullSnapshot, Key: []string{"uscc"}}}
	srcs, err := db.PullSources(ctx, shuyu.System, e.ID)
	if err != nil {
		return err
	}
	for _, p := range srcs {
		if p.Name == demoPullName {
			_, err := db.UpdatePullSource(ctx, shuyu.System, p.ID, in)
			return err
		}
	}
	in.Secret = demoPullSecret
	p, err := svc.RegisterPullSource(ctx, shuyu.System, e.ID, in)
	if err != nil {
		return fmt.Errorf("demo: pull source: %w", err)
	}
	_, prog, err := svc.RunPull(ctx, shuyu.System, p.ID, sqlstore.PullByHand)
	if err != nil {
		return fmt.Errorf("demo: pull: %w", err)
	}
	if err := prog.Wait(ctx); err != nil {
		return err
	}
	runs, err := db.PullRuns(ctx, shuyu.System, p.ID, 1)
	if err != nil {
		return err
	}
	if len(runs) == 0 || runs[0].Status != sqlstore.PullRunDone {
		return errors.New("demo: the first pull did not finish")
	}
	return nil
}
