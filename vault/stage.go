package vault

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/text/encoding/simplifiedchinese"

	"shuyu"
)

// defaultMaxBytes caps an upload when LoadOptions.MaxBytes is zero.
const defaultMaxBytes = 4 << 30

// staged is an upload copied into the staging directory.
type staged struct {
	path     string
	bytes    int64  // size of the upload as received
	checksum []byte // SM3 of the upload as received
	lines    int64  // newline count, for progress (rows: rows appended)

	table string // rows streamed into a staging table (StageRows), not a file
	drop  func() // drops that table
}

func (s *staged) remove() {
	if s.path != "" {
		os.Remove(s.path)
	}
	if s.drop != nil {
		s.drop()
	}
}

// tempPath returns an unguessable path in the staging directory, so that a
// staged upload cannot be named by anyone who did not create it.
func (d *Domain) tempPath(ext string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return filepath.Join(d.staging, hex.EncodeToString(b[:])+ext), nil
}

// stage streams src into a staging file without holding it in memory,
// hashing it with SM3 and enforcing the size cap (R10.1). With text=true the
// upload is CSV or JSON lines: a UTF-8 BOM is dropped, and a file that is not
// valid UTF-8 is re-encoded from GBK (GB 18030's subset used by Chinese
// office software) into UTF-8.
//
// maxLine > 0 caps the length of one physical line: the first longer line
// refuses the file at once with its line number (and nothing of its content),
// so an upload of one enormous line costs neither the disk nor the parser.
func (d *Domain) stage(ctx context.Context, src io.Reader, ext string, text bool, maxBytes int64, maxLine int64, progress func(int64)) (*staged, error) {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	path, err := d.tempPath(ext)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	st := &staged{path: path}
	fail := func(err error) (*staged, error) {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	h := sm3.New()
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	var carry []byte // an incomplete UTF-8 sequence at a chunk's end
	valid := true
	first := true
	var lineLen int64 // bytes of the current line so far
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			st.bytes += int64(n)
			if st.bytes > maxBytes {
				return fail(shuyu.Errorf(shuyu.ETOOLARGE, "文件超过大小上限 %d 字节 (file too large)", maxBytes))
			}
			h.Write(chunk)
			if text && first && len(chunk) >= 3 && bytes.HasPrefix(chunk, []byte("\xef\xbb\xbf")) {
				chunk = chunk[3:]
			}
			first = false
			if text && valid {
				carry, valid = checkUTF8(carry, chunk)
			}
			if maxLine > 0 {
				if n := longLine(chunk, &lineLen, maxLine, st.lines); n > 0 {
					return fail(shuyu.Errorf(shuyu.EUNPROCESSABLE, "第 %d 行超过 %d 字节的长度上限，已整体拒收 (line %d longer than %d bytes; file refused)", n, maxLine, n, maxLine).
						WithDetails([]shuyu.RowError{{Row: int(n), Message: "行过长 (line too long)"}}))
				}
			}
			if text {
				st.lines += int64(bytes.Count(chunk, []byte{'\n'}))
				if progress != nil && st.lines > 0 {
					progress(st.lines - 1)
				}
			}
			if _, err := w.Write(chunk); err != nil {
				return fail(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(rerr)
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, err
	}
	st.checksum = h.Sum(nil)
	if text && (!valid || len(carry) > 0) {
		if err := d.transcodeGBK(ctx, st); err != nil {
			st.remove()
			return nil, fmt.Errorf("transcode: %w", err)
		}
	}
	return st, nil
}

// longLine follows line lengths across chunks: *cur is the length of the
// line in progress, lines the newlines before chunk. It returns the 1-based
// number of the first line longer than max, or 0.
func longLine(chunk []byte, cur *int64, max, lines int64) int64 {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			*cur += int64(len(chunk))
			if *cur > max {
				return lines + 1
			}
			return 0
		}
		if *cur+int64(i) > max {
			return lines + 1
		}
		*cur = 0
		lines++
		chunk = chunk[i+1:]
	}
	return 0
}

// checkUTF8 validates chunk continuing after carry and returns the new carry.
func checkUTF8(carry, chunk []byte) ([]byte, bool) {
	b := append(carry, chunk...)
	cut := len(b)
	// Hold back a trailing partial rune for the next chunk.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		return nil, false
	}
	return append([]byte(nil), b[cut:]...), true
}

// transcodeGBK rewrites the staged file from GBK to UTF-8, streaming.
func (d *Domain) transcodeGBK(ctx context.Context, st *staged) error {
	in, err := os.Open(st.path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := d.tempPath(filepath.Ext(st.path))
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	r := simplifiedchinese.GBK.NewDecoder().Reader(in)
	if _, err := io.Copy(f, &ctxReader{ctx: ctx, r: r}); err != nil {
		f.Close()
		os.Remove(out)
		return shuyu.Errorf(shuyu.EUNPROCESSABLE, "文件编码既不是UTF-8也不是GBK (encoding neither UTF-8 nor GBK)")
	}
	if err := f.Close(); err != nil {
		os.Remove(out)
		return err
	}
	os.Remove(st.path)
	st.path = out
	return nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
