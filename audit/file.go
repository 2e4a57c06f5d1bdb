package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"shuyu"
)

// AppendCheckpointFile appends c as one JSON line to the file at path and
// fsyncs it before returning, so an acknowledged checkpoint survives a crash
// (R28.1). The file is meant to live outside the database (another disk, a
// WORM mount, a log shipper) so that whoever can rewrite the database cannot
// also remove the signed heads.
func AppendCheckpointFile(path string, c *shuyu.Checkpoint) error {
	const op = "audit: append checkpoint file"
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	line = append(line, '\n')
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if created {
		// A new file's directory entry must be durable too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("%s %s: %w", op, path, err)
		}
	}
	return nil
}

// ReadCheckpointFile reads every checkpoint of a JSON-lines file in file
// order. A missing file holds no checkpoints. A line that does not parse
// (edited by hand, or torn by a crash mid-write) is an EUNPROCESSABLE error
// listing the bad lines: verification must not silently skip evidence.
func ReadCheckpointFile(path string) ([]shuyu.Checkpoint, error) {
	const op = "audit: read checkpoint file"
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, path, err)
	}
	var (
		out  []shuyu.Checkpoint
		bad  []shuyu.RowError
		line int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var c shuyu.Checkpoint
		if err := json.Unmarshal(text, &c); err != nil {
			bad = append(bad, shuyu.RowError{Row: line, Message: "无法解析的检查点记录 (unparseable checkpoint line)"})
			continue
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, shuyu.RowError{Row: line + 1, Message: "检查点记录过长 (checkpoint line too long)"})
	}
	if len(bad) > 0 {
		e := shuyu.Errorf(shuyu.EUNPROCESSABLE, "检查点文件 %s 有 %d 行无效 (checkpoint file has invalid lines)", path, len(bad)).WithDetails(bad)
		e.Op = op
		return out, e
	}
	return out, nil
}
