package supply

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// The sharing platform's HTTP JSON interface (一体化政务数据共享交换平台),
// as shuyu speaks it (docs/supply-pulls.md):
//
//	GET <url>?page=N&page_size=M[&since=W]   (pages from 1)
//	X-App-Key: <app key>
//	X-Timestamp: <unix milliseconds>
//	X-Nonce: <32 hex digits, never reused>
//	X-Signature: hex(HMAC-SM3(app secret, SigningString))
//
// where SigningString is "GET\n" + path + "\n" + the query parameters
// sorted by name and URL-encoded + "\n" + timestamp + "\n" + nonce. The
// answer is {"code":0,"message":"","data":{"total":T,"records":[{…}]}};
// any other code, or HTTP 401/403, is an authentication failure when the
// platform says so, else a source error. A page with no records, or the
// total reached, ends the pull.

// SigningString is what an HTTP pull signs (exported for the platform's
// side of the tests and for departments checking their gateway).
func SigningString(method, path string, query url.Values, timestamp, nonce string) string {
	return method + "\n" + path + "\n" + query.Encode() + "\n" + timestamp + "\n" + nonce
}

// Sign is hex(HMAC-SM3(secret, s)).
func Sign(secret, s string) string {
	m := hmac.New(sm3.New, []byte(secret))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// maxHTTPPage caps one page's body.
const maxHTTPPage = 64 << 20

type httpSource struct {
	cfg    *sqlstore.PullConfig
	secret string
	e      *sqlstore.DomainEntry
	client *http.Client
	now    func() time.Time
}

func newHTTPSource(p *sqlstore.PullSource, secret string, e *sqlstore.DomainEntry) *httpSource {
	return &httpSource{cfg: &p.Config, secret: secret, e: e, now: time.Now,
		client: &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect would carry the signature elsewhere
		}}}
}

func (s *httpSource) close() {}

type httpPage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Total   int64             `json:"total"`
		Records []json.RawMessage `json:"records"`
	} `json:"data"`
}

// page fetches one signed page.
func (s *httpSource) page(ctx context.Context, n, size int, since string) (*httpPage, error) {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, pullErr(sqlstore.PullErrSource, shuyu.EINVALID, "接口地址无效 (bad url)")
	}
	q := u.Query()
	q.Set("page", strconv.Itoa(n))
	q.Set("page_size", strconv.Itoa(size))
	if since != "" {
		q.Set("since", since)
	}
	u.RawQuery = q.Encode()
	var nb [16]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, err
	}
	ts, nonce := strconv.FormatInt(s.now().UnixMilli(), 10), hex.EncodeToString(nb[:])
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, pullErr(sqlstore.PullErrSource, shuyu.EINVALID, "接口地址无效 (bad url)")
	}
	req.Header.Set("X-App-Key", s.cfg.AppKey)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", Sign(s.secret, SigningString(http.MethodGet, path, q, ts, nonce)))
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, pullErr(sqlstore.PullErrConnection, shuyu.ECONFLICT, "无法连接共享交换平台接口，请检查地址和网络 (cannot reach the interface)")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, pullErr(sqlstore.PullErrAuth, shuyu.EFORBIDDEN, "接口拒绝了应用标识或签名 (HTTP %d: app key or signature refused)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "接口返回错误 (HTTP %d)", resp.StatusCode)
	}
	var pg httpPage
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxHTTPPage))
	if err := dec.Decode(&pg); err != nil {
		return nil, pullErr(sqlstore.PullErrSource, shuyu.EUNPROCESSABLE, "接口返回的不是约定的JSON (answer is not the agreed JSON)")
	}
	if pg.Code != 0 {
		if pg.Code == 401 || pg.Code == 403 {
			return nil, pullErr(sqlstore.PullErrAuth, shuyu.EFORBIDDEN, "接口拒绝了应用标识或签名 (code %d: app key or signature refused)", pg.Code)
		}
		return nil, pullErr(sqlstore.PullErrSource, shuyu.ECONFLICT, "接口返回错误 (code %d)", pg.Code)
	}
	return &pg, nil
}

// columns are the keys of the first record (the interface has no schema
// call); an empty source has no columns to check and passes.
func (s *httpSource) columns(ctx context.Context) ([]string, error) {
	pg, err := s.page(ctx, 1, 1, "")
	if err != nil {
		return nil, err
	}
	if len(pg.Data.Records) == 0 {
		out := make([]string, 0, len(s.e.Fields)+1)
		for _, f := range s.e.Fields {
			out = append(out, s.cfg.Column(f.Name))
		}
		if s.cfg.Mode == sqlstore.PullIncremental {
			out = append(out, s.cfg.Watermark)
		}
		return out, nil
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(pg.Data.Records[0], &rec); err != nil {
		return nil, pullErr(sqlstore.PullErrSource, shuyu.EUNPROCESSABLE, "接口记录不是JSON对象 (records must be objects)")
	}
	out := make([]string, 0, len(rec))
	for k := range rec {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// jsonText renders one JSON value as the text the domain parses; objects
// and arrays are refused.
func jsonText(v json.RawMessage) (string, bool) {
	t := strings.TrimSpace(string(v))
	switch {
	case t == "" || t == "null":
		return "", true
	case t[0] == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	case t == "true" || t == "false":
		return t, true
	case t[0] == '{' || t[0] == '[':
		return "", false
	}
	return t, true // a number, as written
}

// later reports whether watermark a comes after b: numerically when both
// are numbers, else as text (ISO timestamps order as text).
func later(a, b string) bool {
	x, e1 := strconv.ParseFloat(a, 64)
	y, e2 := strconv.ParseFloat(b, 64)
	if e1 == nil && e2 == nil {
		return x > y
	}
	return a > b
}

func (s *httpSource) pull(ctx context.Context, w *vault.RowWriter, since string) (pullStats, error) {
	st := pullStats{watermark: since}
	size := s.cfg.PageSize
	if size <= 0 {
		size = 1000
	}
	cols := make([]string, len(s.e.Fields))
	for i, f := range s.e.Fields {
		cols[i] = s.cfg.Column(f.Name)
	}
	allowed := map[string]bool{}
	for _, c := range cols {
		allowed[c] = true
	}
	if s.cfg.Mode == sqlstore.PullIncremental {
		allowed[s.cfg.Watermark] = true
	}
	rec := make([]string, len(cols))
	for n := 1; ; n++ {
		pg, err := s.page(ctx, n, size, since)
		if err != nil {
			return st, err
		}
		if n == 1 {
			st.sourceRows = pg.Data.Total
			w.Expect(st.sourceRows)
		}
		for _, raw := range pg.Data.Records {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil {
				return st, pullErr(sqlstore.PullErrSource, shuyu.EUNPROCESSABLE, "第%d条记录不是JSON对象 (record %d is not an object)", st.rows+1, st.rows+1)
			}
			for k := range obj {
				if !allowed[k] {
					return st, &pullError{kind: sqlstore.PullErrMapping, err: shuyu.Errorf(shuyu.EINVALID,
						"第%d条记录多出目录没有的字段 (record %d has an extra field)", st.rows+1, st.rows+1).
						WithDetails([]shuyu.FieldError{{Field: k, Message: "多出的字段 (extra field)"}})}
				}
			}
			for i, c := range cols {
				v, ok := obj[c]
				if !ok {
					return st, &pullError{kind: sqlstore.PullErrMapping, err: shuyu.Errorf(shuyu.EINVALID,
						"第%d条记录缺少字段 (record %d lacks a field)", st.rows+1, st.rows+1).
						WithDetails([]shuyu.FieldError{{Field: s.e.Fields[i].Name, Message: "缺少字段 " + c + " (missing field)"}})}
				}
				t, ok := jsonText(v)
				if !ok {
					return st, pullErr(sqlstore.PullErrQuality, shuyu.EUNPROCESSABLE, "第%d条记录的字段 %s 不是单个值 (record %d: field %s is not a single value)", st.rows+1, c, st.rows+1, c)
				}
				rec[i] = t
			}
			if s.cfg.Mode == sqlstore.PullIncremental {
				if t, ok := jsonText(obj[s.cfg.Watermark]); ok && t != "" && (st.watermark == "" || later(t, st.watermark)) {
					st.watermark = t
				}
			}
			if err := w.Strings(rec); err != nil {
				return st, err
			}
			st.rows++
		}
		if len(pg.Data.Records) == 0 || int64(n)*int64(size) >= pg.Data.Total {
			break
		}
		if n >= 1_000_000 {
			return st, errors.New("http pull: too many pages")
		}
	}
	return st, nil // rows against total: reconciled (and refused) by stagePull
}
