package sqlstore

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/keys"
)

// Keys, calls, metering and anomaly flags of API services (R28.4).
//
// A key is "sy_<key id>_<secret>": the key id is public (it names the key in
// lists and in the trail), the secret is shown once and stored only as
// SM3(salt ‖ secret) with a random salt per key. Subjects and parameters are
// recorded only as keyed SM3 digests (HMAC-SM3 under a key derived from the
// platform's noise key, which lives in the key directory, not the database):
// a plain SM3 of an ID number could be reversed by trying every birth date
// and sequence number; the keyed digest cannot without the key directory.

// digestKey is the derived HMAC-SM3 key, loaded once per store.
type digestKey struct {
	once sync.Once
	key  []byte
	err  error
}

func (d *DB) digestKey() ([]byte, error) {
	d.digests.once.Do(func() {
		k, err := d.keys.Current(keys.Noise)
		if err != nil {
			d.digests.err = fmt.Errorf("sqlstore: digest key: %w", err)
			return
		}
		m := hmac.New(sm3.New, k.Material)
		m.Write([]byte("shuyu/services/digest/v1"))
		d.digests.key = m.Sum(nil)
	})
	return d.digests.key, d.digests.err
}

// Digest is the keyed SM3 (hex) of value under purpose.
func (d *DB) Digest(purpose, value string) (string, error) {
	k, err := d.digestKey()
	if err != nil {
		return "", err
	}
	m := hmac.New(sm3.New, k)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// SubjectDigest is the digest a subject (a citizen ID or a USCC, already
// normalized; the two never look alike) is known by in calls and consents.
func (d *DB) SubjectDigest(id string) (string, error) { return d.Digest("subject", id) }

// ParamsDigest is the digest of a call's parameters (canonical: sorted
// name=value lines).
func (d *DB) ParamsDigest(params map[string]string) (string, error) {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s\n", n, params[n])
	}
	return d.Digest("params", b.String())
}

// subjectPrefix is the part of an ID that enumeration walks through: the
// region and birth date of a citizen ID (14 characters), the registration
// authority, region and first organization-code digits of a credit code.
func subjectPrefix(id string) string {
	if len(id) > 14 {
		return id[:14]
	}
	return id
}

func keyHash(salt []byte, secret string) []byte {
	h := sm3.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// parseServiceKey splits "sy_<16 hex>_<48 hex>".
func parseServiceKey(token string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, "sy_")
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 16 || len(secret) != 48 {
		return "", "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", "", false
	}
	if _, err := hex.DecodeString(secret); err != nil {
		return "", "", false
	}
	return id, secret, true
}

// IssuedKey is a new key: Secret is the whole key, shown once.
type IssuedKey struct {
	Key    *shuyu.ServiceKey `json:"key"`
	Secret string            `json:"secret"`
}

// IssueServiceKey gives the actor's organisation (a registered merchant) a
// key for a filed service with the service's quota and limits.
func (d *DB) IssueServiceKey(ctx context.Context, actor *shuyu.Actor, serviceID int64, label string) (*IssuedKey, error) {
	label = strings.TrimSpace(label)
	if n := len([]rune(label)); n > 60 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "密钥名称不超过 60 个字符 (label too long)").
			WithDetails([]shuyu.FieldError{{Field: "label", Message: "不超过 60 个字符"}})
	}
	if actor == nil || actor.OrgID == 0 {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	if err := shuyu.Authorize(actor, shuyu.ActServiceKey, shuyu.Resource{Kind: "api_key", OrgID: actor.OrgID, Exists: true}); err != nil {
		return nil, err
	}
	idb, sec, salt := make([]byte, 8), make([]byte, 24), make([]byte, 16)
	for _, b := range [][]byte{idb, sec, salt} {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
	}
	keyID, secret := hex.EncodeToString(idb), hex.EncodeToString(sec)
	var out *IssuedKey
	err := d.update(ctx, actor, func(tx *Tx) error {
		s, err := tx.service(serviceID)
		if err != nil {
			return err
		}
		if s.Stored != shuyu.ServiceFiled {
			return notFound("数据接口服务") // only filed services are offered
		}
		if label == "" {
			label = s.Name
		}
		id, err := tx.insert(`INSERT INTO api_keys (service_id, org_id, label, key_id, salt, hash, status, quota_day, rate_minute,
			subject_day, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, actor.OrgID, label, keyID, salt, keyHash(salt, secret), shuyu.KeyActive, s.QuotaDay, s.RateMinute,
			s.SubjectDay, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditServiceKeyIssue, ObjectType: "api_key", ObjectID: id,
			Detail: map[string]any{"service_id": s.ID, "key_id": keyID}}); err != nil {
			return err
		}
		k, err := tx.serviceKey(id)
		out = &IssuedKey{Key: k, Secret: "sy_" + keyID + "_" + secret}
		return err
	})
	return out, err
}

const keyCols = `k.id, k.service_id, s.name, k.org_id, o.name, k.label, k.key_id, k.status, k.status_reason, k.quota_day,
	k.rate_minute, k.subject_day, k.created_at, s.org_id`

func (tx *Tx) serviceKey(id int64) (*shuyu.ServiceKey, error) {
	k, _, err := scanKey(tx.queryRow(`SELECT `+keyCols+` FROM api_keys k JOIN api_services s ON s.id = k.service_id
		JOIN orgs o ON o.id = k.org_id WHERE k.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("调用密钥")
	}
	return k, err
}

func scanKey(r interface{ Scan(...any) error }) (*shuyu.ServiceKey, int64, error) {
	var k shuyu.ServiceKey
	var at, provider int64
	err := r.Scan(&k.ID, &k.ServiceID, &k.ServiceName, &k.OrgID, &k.OrgName, &k.Label, &k.KeyID, &k.Status, &k.StatusReason,
		&k.QuotaDay, &k.RateMinute, &k.SubjectDay, &at, &provider)
	k.CreatedAt = fromMicros(at)
	return &k, provider, err
}

// ServiceKeys lists the keys the actor may see: a consumer its own, a
// provider those of its services, the operator and the authority all. The
// secret is never among them.
func (d *DB) ServiceKeys(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.ServiceKey, error) {
	if err := shuyu.Authorize(actor, shuyu.ActServiceUsage, shuyu.Resource{Kind: "api_key"}); err != nil {
		return nil, err
	}
	out := []*shuyu.ServiceKey{}
	err := d.view(ctx, func(tx *Tx) error {
		day := tx.now.In(shanghai).Format("2006-01-02")
		rows, err := tx.query(`SELECT `+keyCols+`, COALESCE(u.calls, 0) FROM api_keys k JOIN api_services s ON s.id = k.service_id
			JOIN orgs o ON o.id = k.org_id LEFT JOIN api_usage u ON u.key_id = k.id AND u.day = ? ORDER BY k.id DESC`, day)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k shuyu.ServiceKey
			var at, provider int64
			if err := rows.Scan(&k.ID, &k.ServiceID, &k.ServiceName, &k.OrgID, &k.OrgName, &k.Label, &k.KeyID, &k.Status,
				&k.StatusReason, &k.QuotaDay, &k.RateMinute, &k.SubjectDay, &at, &provider, &k.CallsToday); err != nil {
				return err
			}
			k.CreatedAt = fromMicros(at)
			if shuyu.Authorize(actor, shuyu.ActServiceUsage, k.Resource(provider)) == nil {
				out = append(out, &k)
			}
		}
		return rows.Err()
	})
	return out, err
}

// CallRequest is one call as the service layer validated it.
type CallRequest struct {
	Token     string
	ServiceID int64
	Subject   string            // the normalized subject ID
	Params    map[string]string // normalized parameters
}

// CallRun runs the service's template inside the domain and tells what the
// answer's shape was and whether it was a hit.
type CallRun func(s *shuyu.APIService) (shape []string, hit bool, err error)

// ServiceCall authenticates the key, enforces the key's status, the
// service's filing, its sources' suspension (R27.3), the daily quota and the
// per-subject limit (429), and the consent gate (R28.5), then runs the
// template through run and records the call — metering, the trail with
// digests only, consent use, anomaly flags. Calls that arrive together are
// recorded in one write transaction (group commit, services_batch.go), one
// after the other, each seeing the counters the calls before it wrote, so
// no quota can be overrun by concurrent calls; a call is answered only once
// the transaction holding its record has committed. Refusals before run
// change nothing, except a refusal for want of consent, which is recorded (a
// probe of a subject is a use attempt the subject and the operator should
// see) and then answered with EFORBIDDEN.
func (d *DB) ServiceCall(ctx context.Context, req CallRequest, run CallRun) (*shuyu.ServiceCall, error) {
	keyID, secret, ok := parseServiceKey(req.Token)
	if !ok {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "调用密钥无效 (invalid service key)")
	}
	subject, err := d.SubjectDigest(req.Subject)
	if err != nil {
		return nil, err
	}
	params, err := d.ParamsDigest(req.Params)
	if err != nil {
		return nil, err
	}
	prefix, err := d.Digest("prefix", subjectPrefix(req.Subject))
	if err != nil {
		return nil, err
	}
	p := &pendingCall{ctx: ctx, req: req, run: run, keyID: keyID, secret: secret, subject: subject, params: params,
		prefix: prefix, done: make(chan struct{})}
	d.submitCall(p)
	<-p.done // not abandoned on ctx: the call may already be recorded
	if p.err != nil {
		return nil, p.err
	}
	if p.refused != nil {
		return nil, p.refused
	}
	return p.call, nil
}

// serviceCall checks and records one call inside a batch's transaction.
// An error leaves the call unrecorded (the batch rolls back to the call's
// savepoint); p.refused is a refusal that is recorded.
func (tx *Tx) serviceCall(p *pendingCall) error {
	req, keyID, subject, params := p.req, p.keyID, p.subject, p.params
	var k shuyu.ServiceKey
	var salt, hash []byte
	err := tx.queryRow(`SELECT id, service_id, org_id, status, quota_day, rate_minute, subject_day, salt, hash FROM api_keys WHERE key_id = ?`, keyID).
		Scan(&k.ID, &k.ServiceID, &k.OrgID, &k.Status, &k.QuotaDay, &k.RateMinute, &k.SubjectDay, &salt, &hash)
	if isNoRows(err) || err == nil && subtle.ConstantTimeCompare(keyHash(salt, p.secret), hash) != 1 {
		return shuyu.Errorf(shuyu.EUNAUTHORIZED, "调用密钥无效 (invalid service key)")
	}
	if err != nil {
		return err
	}
	tx.actor = &shuyu.Actor{Username: "apikey:" + keyID, OrgID: k.OrgID}
	if k.ServiceID != req.ServiceID {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "该密钥不能调用这项服务 (key is for another service)")
	}
	if k.Status != shuyu.KeyActive {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "调用密钥已停用 (key %s)", k.Status)
	}
	s, err := tx.service(req.ServiceID)
	if err != nil {
		return err
	}
	switch s.Status {
	case shuyu.ServiceFiled:
	case shuyu.ServiceSuspended:
		return shuyu.Errorf(shuyu.ECONFLICT, "数据源已暂停供应，服务暂停 (service suspended, R27.3)")
	default:
		return notFound("数据接口服务")
	}
	if err := tx.workspaceLive(s.WorkspaceID); err != nil {
		return err
	}
	day := tx.now.In(shanghai).Format("2006-01-02")
	minute := tx.now.Unix() / 60
	var calls, minuteCalls, subjectCalls int64
	if err := tx.queryRow(`SELECT COALESCE((SELECT calls FROM api_usage WHERE key_id = ? AND day = ?), 0),
		COALESCE((SELECT minute_calls FROM api_usage WHERE key_id = ? AND day = ? AND minute = ?), 0),
		COALESCE((SELECT calls FROM api_subject_days WHERE key_id = ? AND day = ? AND subject_digest = ?), 0)`,
		k.ID, day, k.ID, day, minute, k.ID, day, subject).Scan(&calls, &minuteCalls, &subjectCalls); err != nil {
		return err
	}
	if minuteCalls >= int64(k.RateMinute) {
		return shuyu.Errorf(shuyu.ETHROTTLED, "调用过于频繁：每分钟最多 %d 次 (rate limit)", k.RateMinute)
	}
	if calls >= int64(k.QuotaDay) {
		return shuyu.Errorf(shuyu.ETHROTTLED, "今日调用次数已达上限 %d (daily quota reached)", k.QuotaDay)
	}
	if subjectCalls >= int64(k.SubjectDay) {
		return shuyu.Errorf(shuyu.ETHROTTLED, "今日对同一对象的调用已达上限 %d (per-subject limit reached)", k.SubjectDay)
	}
	call := &shuyu.ServiceCall{ServiceID: s.ID, Service: s.Name, KeyID: keyID, OrgID: k.OrgID, At: tx.now, Shape: []string{}}
	var consentID *int64
	var refused error
	if s.Consent {
		id, err := tx.liveConsent(subject, k.OrgID, s.ID)
		if err != nil {
			return err
		}
		if id == 0 {
			call.Outcome = shuyu.CallNoConsent
			refused = shuyu.Errorf(shuyu.EFORBIDDEN, "该对象未授权贵单位使用这项服务，或授权已撤回、已到期 (no live consent, R28.5)")
		} else {
			consentID, call.ConsentID = &id, id
		}
	}
	hit := false
	if refused == nil {
		start := time.Now()
		shape, h, err := p.run(s)
		if err != nil {
			return err
		}
		call.Outcome, call.Shape, hit = shuyu.CallAnswered, shape, h
		call.WallUS = time.Since(start).Microseconds()
	}
	shapeJSON, _ := json.Marshal(call.Shape)
	call.ID, err = tx.insert(`INSERT INTO api_calls (service_id, key_id, org_id, at, day, params_digest, subject_digest, consent_id,
		outcome, hit, shape, wall_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, k.ID, k.OrgID, micros(tx.now), day, params, subject, consentID, call.Outcome, boolInt(hit), string(shapeJSON), call.WallUS)
	if err != nil {
		return err
	}
	if err := tx.meter(k.ID, s.ID, day, minute, subject, p.prefix, call.Outcome == shuyu.CallAnswered && !hit, refused != nil); err != nil {
		return err
	}
	if err := tx.audit(Change{Action: shuyu.AuditServiceCall, ObjectType: "api_service", ObjectID: s.ID,
		Detail: map[string]any{"key_id": keyID, "params_sm3": params, "outcome": call.Outcome, "shape": call.Shape, "call_id": call.ID}}); err != nil {
		return err
	}
	p.call, p.refused = call, refused
	return nil
}

// workspaceLive refuses calls into a workspace that is not active or
// outside its term: the service runs inside it (R14.1, R34.1).
func (tx *Tx) workspaceLive(id int64) error {
	var status string
	var starts, ends int64
	if err := tx.queryRow(`SELECT status, starts_at, ends_at FROM workspaces WHERE id = ?`, id).Scan(&status, &starts, &ends); err != nil {
		return err
	}
	now := micros(tx.now)
	if status != shuyu.WorkspaceActive || now < starts || now >= ends {
		return shuyu.Errorf(shuyu.ECONFLICT, "服务所在的工作区未启用或已到期，服务暂停 (workspace not active)")
	}
	return nil
}

// meter counts the call per key and day, per subject and per ID prefix, and
// raises anomaly flags (reconstruction control, R28.4).
func (tx *Tx) meter(keyRow, serviceID int64, day string, minute int64, subject, prefix string, miss, refused bool) error {
	var subjectCalls int64
	if err := tx.queryRow(`INSERT INTO api_subject_days (key_id, day, subject_digest, calls) VALUES (?, ?, ?, 1)
		ON CONFLICT (key_id, day, subject_digest) DO UPDATE SET calls = api_subject_days.calls + 1 RETURNING calls`,
		keyRow, day, subject).Scan(&subjectCalls); err != nil {
		return err
	}
	newSubject := int64(0)
	var prefixSubjects int64
	if subjectCalls == 1 {
		newSubject = 1
		if err := tx.queryRow(`INSERT INTO api_prefix_days (key_id, day, prefix_digest, subjects) VALUES (?, ?, ?, 1)
			ON CONFLICT (key_id, day, prefix_digest) DO UPDATE SET subjects = api_prefix_days.subjects + 1 RETURNING subjects`,
			keyRow, day, prefix).Scan(&prefixSubjects); err != nil {
			return err
		}
	}
	var calls, misses, subjects int64
	if err := tx.queryRow(`INSERT INTO api_usage (key_id, day, calls, misses, refused, subjects, minute, minute_calls) VALUES (?, ?, 1, ?, ?, ?, ?, 1)
		ON CONFLICT (key_id, day) DO UPDATE SET calls = api_usage.calls + 1, misses = api_usage.misses + excluded.misses,
		refused = api_usage.refused + excluded.refused, subjects = api_usage.subjects + excluded.subjects,
		minute_calls = CASE WHEN api_usage.minute = excluded.minute THEN api_usage.minute_calls + 1 ELSE 1 END, minute = excluded.minute
		RETURNING calls, misses, subjects`, keyRow, day, boolInt(miss), boolInt(refused), newSubject, minute).Scan(&calls, &misses, &subjects); err != nil {
		return err
	}
	type flag struct {
		kind   string
		detail map[string]any
	}
	var flags []flag
	if prefixSubjects == shuyu.FlagPrefixSubjects {
		flags = append(flags, flag{shuyu.FlagEnumeration, map[string]any{"prefix_subjects": prefixSubjects}})
	}
	if newSubject == 1 && subjects == shuyu.FlagSubjects {
		flags = append(flags, flag{shuyu.FlagManySubjects, map[string]any{"subjects": subjects}})
	}
	if calls >= shuyu.FlagMissCalls && float64(misses) >= shuyu.FlagMissShare*float64(calls) {
		flags = append(flags, flag{shuyu.FlagManyMisses, map[string]any{"calls": calls, "misses": misses}})
	}
	for _, f := range flags {
		detail, _ := json.Marshal(f.detail)
		res, err := tx.exec(`INSERT INTO api_flags (key_id, service_id, kind, day, detail, status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)
			ON CONFLICT (key_id, kind, day) DO NOTHING`, keyRow, serviceID, f.kind, day, string(detail), micros(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := tx.audit(Change{Action: shuyu.AuditServiceFlag, ObjectType: "api_key", ObjectID: keyRow,
			Detail: map[string]any{"kind": f.kind, "day": day, "counts": f.detail}}); err != nil {
			return err
		}
	}
	return nil
}

// ServiceCalls lists recent calls the actor may see (newest first): the
// consumer its own, the provider those of its services, the operator all.
func (d *DB) ServiceCalls(ctx context.Context, actor *shuyu.Actor, limit int) ([]shuyu.ServiceCall, error) {
	if err := shuyu.Authorize(actor, shuyu.ActServiceUsage, shuyu.Resource{Kind: "api_key"}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	out := []shuyu.ServiceCall{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT c.id, c.service_id, s.name, k.key_id, c.org_id, o.name, c.at, c.outcome, c.shape,
			COALESCE(c.consent_id, 0), c.wall_us, s.org_id FROM api_calls c JOIN api_services s ON s.id = c.service_id
			JOIN api_keys k ON k.id = c.key_id JOIN orgs o ON o.id = c.org_id ORDER BY c.id DESC LIMIT ?`, limit*4)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() && len(out) < limit {
			var c shuyu.ServiceCall
			var at, provider int64
			var shape string
			if err := rows.Scan(&c.ID, &c.ServiceID, &c.Service, &c.KeyID, &c.OrgID, &c.OrgName, &at, &c.Outcome, &shape,
				&c.ConsentID, &c.WallUS, &provider); err != nil {
				return err
			}
			c.At = fromMicros(at)
			_ = json.Unmarshal([]byte(shape), &c.Shape)
			if shuyu.Authorize(actor, shuyu.ActServiceUsage, shuyu.Resource{Kind: "api_key", OrgID: c.OrgID, Parties: []int64{provider}, Exists: true}) == nil {
				out = append(out, c)
			}
		}
		return rows.Err()
	})
	return out, err
}

// ServiceUsage lists daily usage per key the actor may see: the table fees
// are computed from.
func (d *DB) ServiceUsage(ctx context.Context, actor *shuyu.Actor) ([]shuyu.ServiceUsage, error) {
	if err := shuyu.Authorize(actor, shuyu.ActServiceUsage, shuyu.Resource{Kind: "api_key"}); err != nil {
		return nil, err
	}
	out := []shuyu.ServiceUsage{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT k.key_id, s.name, o.name, u.day, u.calls, u.misses, u.refused, u.subjects, k.org_id, s.org_id
			FROM api_usage u JOIN api_keys k ON k.id = u.key_id JOIN api_services s ON s.id = k.service_id
			JOIN orgs o ON o.id = k.org_id ORDER BY u.day DESC, k.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u shuyu.ServiceUsage
			var consumer, provider int64
			if err := rows.Scan(&u.KeyID, &u.Service, &u.OrgName, &u.Day, &u.Calls, &u.Misses, &u.Refused, &u.Subjects, &consumer, &provider); err != nil {
				return err
			}
			if shuyu.Authorize(actor, shuyu.ActServiceUsage, shuyu.Resource{Kind: "api_key", OrgID: consumer, Parties: []int64{provider}, Exists: true}) == nil {
				out = append(out, u)
			}
		}
		return rows.Err()
	})
	return out, err
}

// ServiceFlags lists anomaly flags, open ones first (operator, authority).
func (d *DB) ServiceFlags(ctx context.Context, actor *shuyu.Actor) ([]shuyu.ServiceFlag, error) {
	if err := shuyu.Authorize(actor, shuyu.ActServiceMonitor, shuyu.Resource{Kind: "api_flag"}); err != nil {
		return nil, err
	}
	out := []shuyu.ServiceFlag{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT f.id, f.key_id, k.key_id, f.service_id, s.name, o.name, f.kind, f.day, f.detail, f.status,
			f.created_at, f.decided_at FROM api_flags f JOIN api_keys k ON k.id = f.key_id JOIN api_services s ON s.id = f.service_id
			JOIN orgs o ON o.id = k.org_id ORDER BY CASE WHEN f.status = 'open' THEN 0 ELSE 1 END, f.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f shuyu.ServiceFlag
			var detail string
			var at int64
			var decided *int64
			if err := rows.Scan(&f.ID, &f.KeyID, &f.KeyName, &f.ServiceID, &f.Service, &f.OrgName, &f.Kind, &f.Day, &detail,
				&f.Status, &at, &decided); err != nil {
				return err
			}
			f.Detail, f.CreatedAt, f.DecidedAt = shuyu.RawJSON(detail), fromMicros(at), domainTime(decided)
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, err
}

// DecideServiceFlag blocks the flagged key or dismisses the flag.
func (d *DB) DecideServiceFlag(ctx context.Context, actor *shuyu.Actor, id int64, decision, reason string) (*shuyu.ServiceFlag, error) {
	if decision != "block" && decision != "dismiss" {
		return nil, shuyu.Errorf(shuyu.EINVALID, "决定须为 block（停用密钥）或 dismiss（忽略） (decision)").
			WithDetails([]shuyu.FieldError{{Field: "decision", Message: "须为 block 或 dismiss"}})
	}
	reason, err := shuyu.CheckReason("reason", reason, 2)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActServiceMonitor, shuyu.Resource{Kind: "api_flag", Exists: true}); err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		var keyRow int64
		var status string
		err := tx.queryRow(`SELECT key_id, status FROM api_flags WHERE id = ?`, id).Scan(&keyRow, &status)
		if isNoRows(err) {
			return notFound("异常提示")
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return shuyu.Errorf(shuyu.ECONFLICT, "该提示已处理 (flag already decided)")
		}
		next := "dismissed"
		if decision == "block" {
			next = "blocked"
			if err := tx.blockKey(keyRow, reason); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE api_flags SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?`, next, actor.UserID, micros(tx.now), id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditServiceFlagDecide, ObjectType: "api_flag", ObjectID: id, Reason: reason,
			Detail: map[string]any{"decision": decision, "key": keyRow}})
	})
	if err != nil {
		return nil, err
	}
	flags, err := d.ServiceFlags(ctx, actor)
	if err != nil {
		return nil, err
	}
	for i := range flags {
		if flags[i].ID == id {
			return &flags[i], nil
		}
	}
	return nil, notFound("异常提示")
}

// BlockServiceKey stops a key at once (operator, authority).
func (d *DB) BlockServiceKey(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.ServiceKey, error) {
	reason, err := shuyu.CheckReason("reason", reason, 2)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, shuyu.ActServiceMonitor, shuyu.Resource{Kind: "api_key", Exists: true}); err != nil {
		return nil, err
	}
	var out *shuyu.ServiceKey
	err = d.update(ctx, actor, func(tx *Tx) error {
		if err := tx.blockKey(id, reason); err != nil {
			return err
		}
		out, err = tx.serviceKey(id)
		return err
	})
	return out, err
}

func (tx *Tx) blockKey(id int64, reason string) error {
	res, err := tx.exec(`UPDATE api_keys SET status = ?, status_reason = ? WHERE id = ? AND status = ?`, shuyu.KeyBlocked, reason, id, shuyu.KeyActive)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shuyu.Errorf(shuyu.ECONFLICT, "密钥不存在或已停用 (key not active)")
	}
	return tx.audit(Change{Action: shuyu.AuditServiceKeyBlock, ObjectType: "api_key", ObjectID: id, Reason: reason})
}

// ServiceKeyAuth checks a key outside any call (the service layer's cheap
// gate before the engine runs): it answers the key's service, or
// EUNAUTHORIZED. The call's own transaction checks the key again.
func (d *DB) ServiceKeyAuth(ctx context.Context, token string) (int64, error) {
	keyID, secret, ok := parseServiceKey(token)
	if !ok {
		return 0, shuyu.Errorf(shuyu.EUNAUTHORIZED, "调用密钥无效 (invalid service key)")
	}
	var service int64
	err := d.view(ctx, func(tx *Tx) error {
		var salt, hash []byte
		err := tx.queryRow(`SELECT service_id, salt, hash FROM api_keys WHERE key_id = ?`, keyID).Scan(&service, &salt, &hash)
		if isNoRows(err) || err == nil && subtle.ConstantTimeCompare(keyHash(salt, secret), hash) != 1 {
			return shuyu.Errorf(shuyu.EUNAUTHORIZED, "调用密钥无效 (invalid service key)")
		}
		return err
	})
	return service, err
}
