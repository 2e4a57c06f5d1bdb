package sqlstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/audit"
)

// openReadOnly opens the store for `audit verify` (R30.1: an auditor
// verifies a copy without changing it). SQLite is opened with mode=ro, and
// immutable=1 when the directory cannot take SQLite's -shm file (read-only
// media); PostgreSQL sessions are read-only. Nothing is migrated and no key
// is loaded.
func openReadOnly(ctx context.Context, d *DB, opt Options) (*DB, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	var err error
	switch {
	case opt.URL == "" || opt.URL == "sqlite":
		d.dialect = SQLite
		path := filepath.Join(opt.DataDir, "shuyu.db")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("sqlstore: open read-only: %w", err)
		}
		// Without a -wal file (a clean stop, a copy, read-only media) every
		// committed page is in the main file: open it immutable, so SQLite
		// creates no -wal or -shm beside it. With one (a running server, or
		// a crash), read through the WAL; only when even that is impossible
		// (read-only media) fall back to the main file alone.
		_, walErr := os.Stat(path + "-wal")
		d.db, err = openSQLiteRO(path, walErr != nil)
		if err != nil && walErr == nil {
			d.db, err = openSQLiteRO(path, true)
		}
	case strings.HasPrefix(opt.URL, "postgres://") || strings.HasPrefix(opt.URL, "postgresql://"):
		d.dialect = Postgres
		u, perr := url.Parse(opt.URL)
		if perr != nil {
			return nil, fmt.Errorf("sqlstore: open read-only: bad database URL")
		}
		q := u.Query()
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		d.db, err = sql.Open("pgx", u.String())
		if err == nil {
			err = d.db.PingContext(ctx)
		}
	default:
		return nil, fmt.Errorf("sqlstore: open: unsupported database URL (use sqlite or postgres://)")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s read-only: %w", d.dialect, err)
	}
	return d, nil
}

// openSQLiteRO opens path read-only and proves it can read the trail.
func openSQLiteRO(path string, immutable bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM audit_checkpoints`).Scan(&n); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ReadOnly reports whether the store was opened for verification only.
func (d *DB) ReadOnly() bool { return d.readOnly }

// serverIDFile names this data directory in the store's lists of servers
// and audit keys.
const serverIDFile = "server-id"

// ServerID is the id of this data directory (created on first use, never
// in a read-only store: "" there when the file is missing).
func (d *DB) ServerID() (string, error) {
	path := filepath.Join(d.dataDir, serverIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) || d.readOnly {
		if d.readOnly && errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	host, _ := os.Hostname()
	rnd := make([]byte, 4)
	if _, err := rand.Read(rnd); err != nil {
		return "", err
	}
	id := sanitizeHost(host) + "-" + hex.EncodeToString(rnd)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		os.Remove(tmp)
		return "", err
	}
	os.Remove(tmp)
	b, err = os.ReadFile(path) // another process may have won the race
	return strings.TrimSpace(string(b)), err
}

func sanitizeHost(h string) string {
	var b strings.Builder
	for _, c := range h {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteRune(c)
		}
		if b.Len() >= 24 {
			break
		}
	}
	if b.Len() == 0 {
		return "server"
	}
	return b.String()
}

// AuditKeyIDFor is the id of generation gen of an audit key whose public
// key is pub (anyone holding the public key can compute it).
func AuditKeyIDFor(gen int, pub []byte) string {
	sum := sm3.Sum(pub)
	return fmt.Sprintf("audit-%d-%s", gen, hex.EncodeToString(sum[:4]))
}

// registerAuditKey puts this store's signing key in the trusted list
// (audit_keys) if it is not there yet, audited in the checkpoint's own
// transaction, and refuses a key that was revoked (R28.1, R29.1).
func (tx *Tx) registerAuditKey(pub []byte, ringID string) (string, error) {
	d := tx.d
	var id string
	var revoked sql.NullInt64
	err := tx.queryRow(`SELECT key_id, revoked_seq FROM audit_keys WHERE public_key = ?`, pub).Scan(&id, &revoked)
	if err == nil {
		if revoked.Valid {
			return "", shuyu.Errorf(shuyu.ECONFLICT, "本服务器的审计签名密钥 %s 已被吊销，请先轮换密钥 (this server's audit signing key %s is revoked: rotate it)", id, id)
		}
		return id, nil
	}
	if !isNoRows(err) {
		return "", err
	}
	server, err := d.ServerID()
	if err != nil {
		return "", err
	}
	id = ringID
	if id == "" {
		id = AuditKeyIDFor(1, pub)
	}
	if _, err := tx.exec(`INSERT INTO audit_keys (key_id, public_key, server_id, registered_at, registered_seq) VALUES (?, ?, ?, ?, ?)`,
		id, pub, server, micros(tx.now), tx.seq+1); err != nil {
		return "", err
	}
	return id, tx.audit(Change{Action: shuyu.AuditAuditKeyRegister, ObjectType: "audit_key", ObjectID: id,
		Detail: map[string]any{"server_id": server, "public_key": hex.EncodeToString(pub)}})
}

// AuditKeyEntry is one key of the store's trusted list.
type AuditKeyEntry struct {
	KeyID         string     `json:"key_id"`
	PublicKey     []byte     `json:"public_key"`
	ServerID      string     `json:"server_id"`
	RegisteredAt  time.Time  `json:"registered_at"`
	RegisteredSeq int64      `json:"registered_seq"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedSeq    int64      `json:"revoked_seq,omitempty"` // checkpoints up to this seq stay valid
	RevokedReason string     `json:"revoked_reason,omitempty"`
}

// TrustedAuditKeys returns the store's list of checkpoint signing keys,
// revoked ones included (they stay trusted for what they signed before).
func (d *DB) TrustedAuditKeys(ctx context.Context) ([]AuditKeyEntry, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT key_id, public_key, server_id, registered_at, registered_seq, revoked_at, revoked_seq, revoked_reason
		FROM audit_keys ORDER BY registered_seq`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit keys: %w", err)
	}
	defer rows.Close()
	var out []AuditKeyEntry
	for rows.Next() {
		var k AuditKeyEntry
		var at int64
		var rat, rseq sql.NullInt64
		if err := rows.Scan(&k.KeyID, &k.PublicKey, &k.ServerID, &at, &k.RegisteredSeq, &rat, &rseq, &k.RevokedReason); err != nil {
			return nil, err
		}
		k.RegisteredAt, k.RevokedAt, k.RevokedSeq = fromMicros(at), fromNullMicros(rat), rseq.Int64
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAuditKey ends a key's trust from the current head on (a leaked or
// retired key, R29.1): checkpoints it signed up to now still verify, any
// later one is reported as forged.
func (d *DB) RevokeAuditKey(ctx context.Context, actor *shuyu.Actor, keyID, reason string) error {
	if err := shuyu.Authorize(actor, shuyu.ActSystemOperate, shuyu.Resource{}); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return shuyu.Errorf(shuyu.EINVALID, "吊销密钥须说明理由 (reason required)")
	}
	err := d.update(ctx, actor, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE audit_keys SET revoked_at = ?, revoked_seq = ?, revoked_reason = ? WHERE key_id = ? AND revoked_at IS NULL`,
			micros(tx.now), tx.seq, reason, keyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return shuyu.Errorf(shuyu.ENOTFOUND, "没有未吊销的密钥 %s (no unrevoked key %s)", keyID, keyID)
		}
		return tx.audit(Change{Action: shuyu.AuditAuditKeyRevoke, ObjectType: "audit_key", ObjectID: keyID, Reason: reason,
			Detail: map[string]any{"valid_through_seq": tx.seq}})
	})
	if err != nil {
		return fmt.Errorf("sqlstore: revoke audit key: %w", err)
	}
	return nil
}

// CheckpointState is what the checkpointer and the health check need to
// know about the audit head: how much is not yet anchored and since when.
type CheckpointState struct {
	HeadSeq        int64      `json:"head_seq"`
	LastSeq        int64      `json:"last_checkpoint_seq"`
	LastTime       *time.Time `json:"last_checkpoint_time,omitempty"`
	Pending        int64      `json:"pending"`                  // events after it, checkpoint events excluded
	OldestPending  *time.Time `json:"oldest_pending,omitempty"` // time of the first of them
	LastCheckpoint *time.Time `json:"-"`
}

// CheckpointStatus reads the audit head and the last checkpoint.
func (d *DB) CheckpointStatus(ctx context.Context) (CheckpointState, error) {
	var st CheckpointState
	var last sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT (SELECT seq FROM audit_head WHERE id = 1),
		(SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints), (SELECT MAX(time) FROM audit_checkpoints)`).Scan(&st.HeadSeq, &st.LastSeq, &last)
	if err != nil {
		return st, fmt.Errorf("sqlstore: checkpoint status: %w", err)
	}
	st.LastTime = fromNullMicros(last)
	var oldest sql.NullInt64
	err = d.db.QueryRowContext(ctx, d.Rebind(`SELECT count(*), MIN(time) FROM audit_events WHERE seq > ? AND action <> 'audit.checkpoint'`),
		st.LastSeq).Scan(&st.Pending, &oldest)
	if err != nil {
		return st, fmt.Errorf("sqlstore: checkpoint status: %w", err)
	}
	st.OldestPending = fromNullMicros(oldest)
	d.cpSeq.Store(st.LastSeq)
	return st, nil
}

// CheckpointKicks is signalled when at least CheckpointEvents events were
// committed since the last checkpoint this store knows of; the server's
// checkpointer listens to it (every N events or every minute, whichever
// comes first).
func (d *DB) CheckpointKicks() <-chan struct{} { return d.cpKick }

// kickCheckpoint is called after each committed write transaction.
func (d *DB) kickCheckpoint(seq int64) {
	if n := d.CheckpointEvents; n > 0 && seq-d.cpSeq.Load() >= n {
		select {
		case d.cpKick <- struct{}{}:
		default:
		}
	}
}

// VerifyOptions configure VerifyAuditWith.
type VerifyOptions struct {
	// Trusted pins the checkpoint signing keys (`audit verify --pubkey`):
	// a checkpoint signed by any other key is forged. nil trusts the
	// store's list (audit_keys) and this data directory's own key.
	Trusted [][]byte
	// Extra checkpoints kept elsewhere (`--checkpoints FILE`).
	Extra []shuyu.Checkpoint
	// MaxLag: events other than checkpoints older than this and not yet
	// anchored by a checkpoint are a finding (0: not checked).
	MaxLag time.Duration
	// MaxUnanchored: more such events than this are a finding (0: not checked).
	MaxUnanchored int64
	// Now is the clock MaxLag is measured against (zero: the store's clock).
	Now time.Time
}

// AuditCheck is the outcome of VerifyAuditWith: the chain's verification
// and the findings about anchoring and the checkpoint file. The trail is
// intact when Report.OK; it is also fully anchored when Findings is empty.
type AuditCheck struct {
	audit.Report
	Findings        []AuditFinding `json:"findings"`
	FileCheckpoints int            `json:"file_checkpoints"`
	TrustedKeys     []string       `json:"trusted_keys"`
}

// AuditFinding is one reason a verification is not clean although the
// chain itself links.
type AuditFinding struct {
	Kind    string `json:"kind"` // no_checkpoint, lag, file_lacks, store_lacks
	Message string `json:"message"`
}

// VerifyAuditWith verifies the trail like VerifyAudit and also says whether
// it is anchored (R28.1): events with no checkpoint at all, events left
// unanchored longer than MaxLag, and any disagreement between the store's
// checkpoints and this data directory's checkpoint file (a checkpoint in
// the file that the store lacks was deleted from the store; one of this
// server's checkpoints in the store that the file lacks means the file was
// cut or replaced). With the triggers dropped, the tail cut and the file
// removed, these are what is left to notice it.
func (d *DB) VerifyAuditWith(ctx context.Context, opt VerifyOptions) (AuditCheck, error) {
	var out AuditCheck
	storeCPs, err := d.Checkpoints(ctx)
	if err != nil {
		return out, err
	}
	fileCPs, err := audit.ReadCheckpointFile(filepath.Join(d.dataDir, CheckpointFile))
	if err != nil {
		return out, fmt.Errorf("sqlstore: verify: %w", err)
	}
	out.FileCheckpoints = len(fileCPs)
	trust, err := d.trustList(ctx, opt.Trusted)
	if err != nil {
		return out, err
	}
	for _, k := range trust {
		out.TrustedKeys = append(out.TrustedKeys, k.KeyID)
	}
	cps := append(append(append([]shuyu.Checkpoint(nil), storeCPs...), fileCPs...), opt.Extra...)
	// Trust first: every checkpoint must be signed by a key of the list,
	// and not after that key was revoked. The chain verifier then checks
	// each signature and its place in the chain.
	keyErr := checkTrust(cps, trust)
	rep, verr := d.verifyChain(ctx, cps)
	var te *audit.TamperError
	if verr != nil && !errors.As(verr, &te) {
		return out, verr
	}
	if keyErr != nil && (rep.OK || keyErr.Seq <= rep.FirstBad) {
		rep.OK, rep.FirstBad, rep.Kind, rep.Problem = false, keyErr.Seq, keyErr.Kind, keyErr.Message
		verr = keyErr
	}
	out.Report = rep
	out.Findings = append(out.Findings, d.fileFindings(ctx, storeCPs, fileCPs)...)
	if f, err := d.lagFindings(ctx, rep, opt); err != nil {
		return out, err
	} else {
		out.Findings = append(out.Findings, f...)
	}
	if out.Findings == nil {
		out.Findings = []AuditFinding{}
	}
	return out, verr
}

// verifyChain runs the verifier over the trail with cps, accepting each
// checkpoint's own key (trust was checked before).
func (d *DB) verifyChain(ctx context.Context, cps []shuyu.Checkpoint) (audit.Report, error) {
	fast := audit.NewVerifier(nil, cps)
	if err := d.verifyPacked(ctx, fast); err == nil {
		if rep, err := fast.Finish(); err == nil {
			return rep, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return audit.Report{}, fmt.Errorf("sqlstore: verify: %w", err)
	}
	return d.verifyColumns(ctx, audit.NewVerifier(nil, cps))
}

// trustList is the pinned keys, or the store's list plus this data
// directory's own signing key.
func (d *DB) trustList(ctx context.Context, pinned [][]byte) ([]AuditKeyEntry, error) {
	if pinned != nil {
		out := make([]AuditKeyEntry, 0, len(pinned))
		for _, p := range pinned {
			out = append(out, AuditKeyEntry{KeyID: AuditKeyIDFor(1, p) + " (pinned)", PublicKey: p})
		}
		return out, nil
	}
	list, err := d.TrustedAuditKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, own := range d.ringAuditKeys() {
		found := false
		for _, k := range list {
			found = found || bytes.Equal(k.PublicKey, own.PublicKey)
		}
		if !found {
			list = append(list, AuditKeyEntry{KeyID: own.ID, PublicKey: own.PublicKey})
		}
	}
	return list, nil
}

// ringAuditKeys are every generation of this data directory's audit key
// from the key ring (none when the store was opened read-only without a
// ring, or the ring cannot be read).
func (d *DB) ringAuditKeys() []AuditKey {
	if d.keys == nil {
		return nil
	}
	ks, err := d.AuditKeys()
	if err != nil {
		return nil
	}
	return ks
}

// checkTrust returns the first (by seq) checkpoint signed by a key outside
// the list, or by a revoked key after its revocation.
func checkTrust(cps []shuyu.Checkpoint, trust []AuditKeyEntry) *audit.TamperError {
	var first *audit.TamperError
	for i := range cps {
		c := &cps[i]
		if first != nil && c.Seq >= first.Seq {
			continue
		}
		var k *AuditKeyEntry
		for j := range trust {
			if bytes.Equal(trust[j].PublicKey, c.PublicKey) {
				k = &trust[j]
				break
			}
		}
		switch {
		case k == nil:
			first = &audit.TamperError{Seq: c.Seq, Kind: audit.KindCheckpointKey,
				Message: fmt.Sprintf("检查点 %d 由非受信密钥签名 (checkpoint %d signed by an untrusted key: forged)", c.Seq, c.Seq)}
		case k.RevokedAt != nil && c.Seq > k.RevokedSeq:
			first = &audit.TamperError{Seq: c.Seq, Kind: audit.KindCheckpointKey,
				Message: fmt.Sprintf("检查点 %d 由已吊销的密钥 %s 在吊销后签名 (checkpoint %d signed by key %s after its revocation at seq %d)",
					c.Seq, k.KeyID, c.Seq, k.KeyID, k.RevokedSeq)}
		}
	}
	return first
}

// fileFindings compares the store's checkpoints with this data directory's
// checkpoint file.
func (d *DB) fileFindings(ctx context.Context, storeCPs, fileCPs []shuyu.Checkpoint) []AuditFinding {
	var out []AuditFinding
	inStore := map[int64]bool{}
	for _, c := range storeCPs {
		inStore[c.Seq] = true
	}
	var missing []int64
	for _, c := range fileCPs {
		if !inStore[c.Seq] {
			missing = append(missing, c.Seq)
		}
	}
	if len(missing) > 0 {
		out = append(out, AuditFinding{Kind: "store_lacks", Message: fmt.Sprintf(
			"检查点文件中有 %d 个检查点在数据库中不存在（如 %d）：数据库中的检查点被删除 (%d checkpoints of the file are missing from the store, e.g. seq %d: deleted from the store)",
			len(missing), missing[0], len(missing), missing[0])})
	}
	own := d.ownKeys(ctx)
	inFile := map[int64]bool{}
	for _, c := range fileCPs {
		inFile[c.Seq] = true
	}
	missing = missing[:0]
	for _, c := range storeCPs {
		if own[string(c.PublicKey)] && !inFile[c.Seq] {
			missing = append(missing, c.Seq)
		}
	}
	if len(missing) > 0 {
		out = append(out, AuditFinding{Kind: "file_lacks", Message: fmt.Sprintf(
			"本服务器签发的 %d 个检查点不在检查点文件 %s 中（如 %d）：文件被截断、替换或删除 (%d of this server's checkpoints are missing from the checkpoint file, e.g. seq %d: the file was cut, replaced or removed)",
			len(missing), CheckpointFile, missing[0], len(missing), missing[0])})
	}
	return out
}

// ownKeys are the public keys this data directory signs with: its current
// key, and every key the store lists for its server id (found from the
// server-id file, or from the servers table by the data directory's path
// when that file is gone too).
func (d *DB) ownKeys(ctx context.Context) map[string]bool {
	own := map[string]bool{}
	for _, k := range d.ringAuditKeys() {
		own[string(k.PublicKey)] = true
	}
	ids := map[string]bool{}
	if id, err := d.ServerID(); err == nil && id != "" {
		ids[id] = true
	}
	if abs, err := filepath.Abs(d.dataDir); err == nil {
		rows, err := d.db.QueryContext(ctx, d.Rebind(`SELECT id FROM servers WHERE data_dir = ?`), abs)
		if err == nil {
			for rows.Next() {
				var id string
				if rows.Scan(&id) == nil {
					ids[id] = true
				}
			}
			rows.Close()
		}
	}
	keys, err := d.TrustedAuditKeys(ctx)
	if err != nil {
		return own
	}
	for _, k := range keys {
		if ids[k.ServerID] {
			own[string(k.PublicKey)] = true
		}
	}
	return own
}

// lagFindings reports events that no checkpoint anchors although one
// should have by now.
func (d *DB) lagFindings(ctx context.Context, rep audit.Report, opt VerifyOptions) ([]AuditFinding, error) {
	if !rep.OK {
		return nil, nil // the chain itself failed; that is the finding
	}
	var n int64
	var oldest sql.NullInt64
	if err := d.db.QueryRowContext(ctx, d.Rebind(`SELECT count(*), MIN(time) FROM audit_events WHERE seq > ? AND action <> 'audit.checkpoint'`),
		rep.LastCheckpoint).Scan(&n, &oldest); err != nil {
		return nil, fmt.Errorf("sqlstore: verify: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	var out []AuditFinding
	if rep.Checkpoints == 0 {
		out = append(out, AuditFinding{Kind: "no_checkpoint", Message: fmt.Sprintf(
			"有 %d 个事件但没有任何签名检查点：无法发现尾部截断 (%d events and no signed checkpoint: a cut tail could not be noticed)", n, n)})
		return out, nil
	}
	now := opt.Now
	if now.IsZero() {
		now = d.now()
	}
	if opt.MaxLag > 0 && oldest.Valid && now.Sub(fromMicros(oldest.Int64)) > opt.MaxLag {
		out = append(out, AuditFinding{Kind: "lag", Message: fmt.Sprintf(
			"最后检查点 %d 之后有 %d 个事件未被锚定，最早的已超过 %s (%d events after the last checkpoint at seq %d; the oldest is older than the allowed lag %s)",
			rep.LastCheckpoint, n, opt.MaxLag, n, rep.LastCheckpoint, opt.MaxLag)})
	} else if opt.MaxUnanchored > 0 && n > opt.MaxUnanchored {
		out = append(out, AuditFinding{Kind: "lag", Message: fmt.Sprintf(
			"最后检查点 %d 之后有 %d 个事件未被锚定，超过允许的 %d 个 (%d events after the last checkpoint at seq %d, more than the allowed %d)",
			rep.LastCheckpoint, n, opt.MaxUnanchored, n, rep.LastCheckpoint, opt.MaxUnanchored)})
	}
	return out, nil
}

// RepairCheckpointFile closes the one window Checkpoint leaves: the file
// copy is written after the commit, so a crash in between leaves this
// server's newest checkpoint only in the store. At start-up that one
// checkpoint is appended again — only when every earlier checkpoint of this
// server is in the file, so a removed or cut file is never rebuilt from the
// store (that is what `audit verify` must report).
func (d *DB) RepairCheckpointFile(ctx context.Context) (int, error) {
	if d.readOnly {
		return 0, nil
	}
	signer, _, err := d.currentSigner()
	if err != nil {
		return 0, err
	}
	cps, err := d.Checkpoints(ctx)
	if err != nil {
		return 0, err
	}
	own := signer.PublicKey()
	var mine []shuyu.Checkpoint
	for _, c := range cps {
		if bytes.Equal(c.PublicKey, own) {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return 0, nil
	}
	path := filepath.Join(d.dataDir, CheckpointFile)
	file, err := audit.ReadCheckpointFile(path)
	if err != nil {
		return 0, err
	}
	in := map[int64]bool{}
	for _, c := range file {
		in[c.Seq] = true
	}
	for _, c := range mine[:len(mine)-1] {
		if !in[c.Seq] {
			return 0, nil
		}
	}
	last := mine[len(mine)-1]
	if in[last.Seq] {
		return 0, nil
	}
	return 1, audit.AppendCheckpointFile(path, &last)
}
