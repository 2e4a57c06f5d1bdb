package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"shuyu"
)

// Upload bodies have a minimum rate (R10.1; a slowloris upload must not
// hold a connection, a staging file and a supply job for ever): after the
// rate's quota of bytes arrives, the next quota must arrive within the
// window; otherwise the read deadline of the connection fires and the
// upload fails with errTooSlow, which fails its job and removes what was
// staged. Defaults: 8 KiB/s over 30 s windows (a quota of 240 KiB).
const (
	defaultUploadMinRate    = 8 << 10
	defaultUploadRateWindow = 30 * time.Second
)

func errTooSlow(rate int64, window time.Duration) error {
	return shuyu.Errorf(shuyu.EINVALID, "上传速度过慢（%d 秒内不足 %d KB），已中止，请检查网络后重新上传 (upload too slow: under %d KiB in %d s; cut off)",
		int(window.Seconds()), rate*int64(window.Seconds())>>10, rate*int64(window.Seconds())>>10, int(window.Seconds()))
}

// minRateBody wraps a request body: each quota (rate × window bytes) must
// arrive within window of the previous one.
type minRateBody struct {
	r        io.ReadCloser
	rc       *http.ResponseController
	rate     int64
	window   time.Duration
	quota    int64
	got      int64 // bytes towards the current quota
	started  bool
	tripped  bool
	finished bool
	// Without deadline support from the connection (a wrapping writer
	// without Unwrap), the rate is checked as bytes arrive: a complete stall
	// is then only ended by the client.
	noDeadline bool
	since      time.Time // when the current quota began
}

func (s *Server) minRate(w http.ResponseWriter, body io.ReadCloser) *minRateBody {
	rate, window := s.cfg.UploadMinRate, s.cfg.UploadRateWindow
	if rate <= 0 {
		rate = defaultUploadMinRate
	}
	if window <= 0 {
		window = defaultUploadRateWindow
	}
	q := max(int64(float64(rate)*window.Seconds()), 1)
	return &minRateBody{r: body, rc: http.NewResponseController(w), rate: rate, window: window, quota: q}
}

func (m *minRateBody) Read(p []byte) (int, error) {
	if m.tripped {
		return 0, errTooSlow(m.rate, m.window)
	}
	if !m.started {
		m.started = true
		m.since = time.Now()
		m.noDeadline = m.rc.SetReadDeadline(m.since.Add(m.window)) != nil
	}
	n, err := m.r.Read(p)
	m.got += int64(n)
	if m.got >= m.quota {
		m.got = 0
		m.since = time.Now()
		if !m.noDeadline {
			m.rc.SetReadDeadline(m.since.Add(m.window))
		}
	} else if m.noDeadline && err == nil && time.Since(m.since) > m.window {
		m.tripped = true
		return n, errTooSlow(m.rate, m.window)
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		m.tripped = true
		return n, errTooSlow(m.rate, m.window)
	}
	if err == io.EOF && !m.finished {
		m.finished = true
		if !m.noDeadline {
			m.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

func (m *minRateBody) Close() error { return m.r.Close() }
