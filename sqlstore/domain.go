package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"shuyu"
)

// DomainEntry is a published catalog entry as the data domain sees it: its
// identity, its marks and the fields of its published revision with their
// quality rules (R10.1, R10.2, R11.1).
type DomainEntry struct {
	ID           int64         `json:"id"`
	Code         string        `json:"code"`
	Name         string        `json:"name"`
	OrgID        int64         `json:"org_id"`
	OrgName      string        `json:"org_name"`
	Region       string        `json:"region"`
	Published    bool          `json:"published"`
	Grade        string        `json:"grade"`
	OpenAttr     string        `json:"open_attr"`
	UpdateFreq   string        `json:"update_freq"`
	PublicSource bool          `json:"public_source"` // R4.3
	NonPublic    bool          `json:"non_public"`    // R26.1: a connected non-public source
	VaultName    string        `json:"vault_name"`    // the table merchants' queries name
	Fields       []DomainField `json:"fields"`
}

// DomainField is one field (信息项) with its quality rules.
type DomainField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	DataType    string `json:"data_type"`
	PI          bool   `json:"pi"`
	SensitivePI bool   `json:"sensitive_pi"`
	TradeSecret bool   `json:"trade_secret"`
	Grade       string `json:"grade"`
	FieldRule
}

// FieldRule is the quality rule set of one field that the catalog does not
// carry (R11.1). Format is explicit (citizen_id, uscc, mobile, date), never
// guessed from a field's name.
type FieldRule struct {
	Field    string   `json:"field"`
	Format   string   `json:"format"`
	Required bool     `json:"required"`
	Unique   bool     `json:"unique"`
	Enum     []string `json:"enum,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
}

// Resource is the entry as the authorization policy sees it.
func (e *DomainEntry) Resource() shuyu.Resource {
	return shuyu.Resource{Kind: "domain_entry", OrgID: e.OrgID, Region: e.Region, Exists: true}
}

// VaultName turns a catalog resource code (e.g. "ZW-GA-0001") into the name
// of its data in the domain ("zw_ga_0001"): lower case, anything but letters,
// digits and '_' becomes '_', and a leading non-letter gets an "e_" prefix.
func VaultName(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasPrefix(s, "_vault") {
		s = "e_" + s
	}
	if len(s) > 48 {
		s = s[:48]
	}
	return s
}

// domainFormats are the value formats a rule may name (vault.Format values).
var domainFormats = map[string]bool{"": true, "citizen_id": true, "uscc": true, "mobile": true, "date": true}

const domainEntryCols = `e.id, e.code, e.org_id, o.name, e.region, e.published_rev_id, r.name, r.grade, r.open_attr, r.update_freq, r.public_source`

// domainEntry loads entry id with its published revision's fields and rules.
// An entry never published has Published=false and no fields.
func (tx *Tx) domainEntry(id int64) (*DomainEntry, error) {
	var e DomainEntry
	var rev *int64
	var name, grade, open, freq *string
	var pub *bool
	err := tx.queryRow(`SELECT `+domainEntryCols+` FROM catalog_entries e JOIN orgs o ON o.id = e.org_id
		LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id WHERE e.id = ?`, id).
		Scan(&e.ID, &e.Code, &e.OrgID, &e.OrgName, &e.Region, &rev, &name, &grade, &open, &freq, &pub)
	if isNoRows(err) {
		return nil, notFound("目录")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: domain entry: %w", err)
	}
	e.VaultName = VaultName(e.Code)
	if rev == nil {
		return &e, nil
	}
	e.Published = true
	e.Name, e.Grade, e.OpenAttr, e.UpdateFreq, e.PublicSource = *name, *grade, *open, *freq, pub != nil && *pub
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM domain_sources WHERE entry_id = ?`, id).Scan(&n); err != nil {
		return nil, err
	}
	e.NonPublic = n > 0
	if err := tx.queryRow(`SELECT vault_name FROM domain_mounts WHERE entry_id = ?`, id).Scan(&e.VaultName); err != nil && !isNoRows(err) {
		return nil, err
	}
	rules, err := tx.domainRules(id)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT name, label, data_type, pi, sensitive_pi, trade_secret, grade
		FROM catalog_fields WHERE revision_id = ? ORDER BY position, id`, *rev)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: domain fields: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f DomainField
		if err := rows.Scan(&f.Name, &f.Label, &f.DataType, &f.PI, &f.SensitivePI, &f.TradeSecret, &f.Grade); err != nil {
			return nil, err
		}
		if r, ok := rules[f.Name]; ok {
			f.FieldRule = r
		}
		f.Field = f.Name
		e.Fields = append(e.Fields, f)
	}
	return &e, rows.Err()
}

func (tx *Tx) domainRules(entryID int64) (map[string]FieldRule, error) {
	rows, err := tx.query(`SELECT field, format, required, uniq, enum_json, min_value, max_value
		FROM domain_field_rules WHERE entry_id = ?`, entryID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: domain rules: %w", err)
	}
	defer rows.Close()
	out := map[string]FieldRule{}
	for rows.Next() {
		var r FieldRule
		var enum string
		if err := rows.Scan(&r.Field, &r.Format, &r.Required, &r.Unique, &enum, &r.Min, &r.Max); err != nil {
			return nil, err
		}
		if enum != "" {
			if err := json.Unmarshal([]byte(enum), &r.Enum); err != nil {
				return nil, err
			}
		}
		out[r.Field] = r
	}
	return out, rows.Err()
}

// DomainEntry returns a catalog entry's domain view, authorized for reading
// (R10.2). Another department's entry answers ENOTFOUND.
func (d *DB) DomainEntry(ctx context.Context, actor *shuyu.Actor, id int64) (*DomainEntry, error) {
	return d.domainEntryFor(ctx, actor, shuyu.ActDomainRead, id)
}

// domainEntryFor loads entry id and authorizes action on it.
func (d *DB) domainEntryFor(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*DomainEntry, error) {
	var e *DomainEntry
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		e, err = tx.domainEntry(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, e.Resource()); err != nil {
		return nil, err
	}
	return e, nil
}

// AuthorizeDomain loads entry id and checks that actor may perform action
// on it; the web layer uses it before touching the vault (profile, preview).
func (d *DB) AuthorizeDomain(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*DomainEntry, error) {
	return d.domainEntryFor(ctx, actor, action, id)
}

// DomainEntryByCode finds a published or unpublished entry by its code, for
// the demo and imports (no authorization: codes are public).
func (d *DB) DomainEntryByCode(ctx context.Context, code string) (*DomainEntry, error) {
	var e *DomainEntry
	err := d.view(ctx, func(tx *Tx) error {
		var id int64
		err := tx.queryRow(`SELECT id FROM catalog_entries WHERE code = ?`, code).Scan(&id)
		if isNoRows(err) {
			return notFound("目录 " + code)
		}
		if err != nil {
			return err
		}
		e, err = tx.domainEntry(id)
		return err
	})
	return e, err
}

// SetFieldRules replaces the quality rules of an entry's fields (R11.1).
// Every rule must name a field of the published revision; bad rules change
// nothing.
func (d *DB) SetFieldRules(ctx context.Context, actor *shuyu.Actor, entryID int64, rules []FieldRule, reason string) error {
	e, err := d.domainEntryFor(ctx, actor, shuyu.ActDomainRules, entryID)
	if err != nil {
		return err
	}
	if err := validateFieldRules(e, rules); err != nil {
		return err
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM domain_field_rules WHERE entry_id = ?`, entryID); err != nil {
			return err
		}
		for _, r := range rules {
			enum := ""
			if len(r.Enum) > 0 {
				b, _ := json.Marshal(r.Enum)
				enum = string(b)
			}
			if _, err := tx.exec(`INSERT INTO domain_field_rules (entry_id, field, format, required, uniq, enum_json,
				min_value, max_value, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				entryID, r.Field, r.Format, r.Required, r.Unique, enum, r.Min, r.Max, micros(tx.now)); err != nil {
				return fmt.Errorf("sqlstore: field rules: %w", err)
			}
		}
		return tx.audit(Change{Action: shuyu.AuditDomainRulesSet, ObjectType: "catalog_entry", ObjectID: entryID,
			Reason: reason, Detail: map[string]any{"rules": rules}})
	})
}

func validateFieldRules(e *DomainEntry, rules []FieldRule) error {
	if !e.Published {
		return shuyu.Errorf(shuyu.ECONFLICT, "目录尚未发布，不能设置质量规则 (entry not published)")
	}
	types := map[string]string{}
	for _, f := range e.Fields {
		types[f.Name] = f.DataType
	}
	var fe []shuyu.FieldError
	seen := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		typ, ok := types[r.Field]
		switch {
		case !ok:
			fe = append(fe, shuyu.FieldError{Field: at + ".field", Message: "目录中没有这个信息项 (unknown field)"})
			continue
		case seen[r.Field]:
			fe = append(fe, shuyu.FieldError{Field: at + ".field", Message: "信息项重复 (duplicate field)"})
		}
		seen[r.Field] = true
		if !domainFormats[r.Format] {
			fe = append(fe, shuyu.FieldError{Field: at + ".format", Message: "格式须为 citizen_id、uscc、mobile、date 之一 (unknown format)"})
		} else if r.Format != "" && typ != "string" {
			fe = append(fe, shuyu.FieldError{Field: at + ".format", Message: "格式校验只适用于文本信息项 (format applies to string fields)"})
		}
		if (r.Min != nil || r.Max != nil) && typ != "integer" && typ != "decimal" {
			fe = append(fe, shuyu.FieldError{Field: at + ".min", Message: "取值范围只适用于数值信息项 (range applies to numbers)"})
		}
		for _, p := range []*float64{r.Min, r.Max} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
				fe = append(fe, shuyu.FieldError{Field: at + ".min", Message: "取值范围须为有限数 (range must be finite)"})
			}
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			fe = append(fe, shuyu.FieldError{Field: at + ".min", Message: "下限大于上限 (min above max)"})
		}
		if len(r.Enum) > 1000 {
			fe = append(fe, shuyu.FieldError{Field: at + ".enum", Message: "枚举值过多，上限1000 (too many values)"})
		}
	}
	if len(fe) > 0 {
		return shuyu.Errorf(shuyu.EINVALID, "质量规则无效 (invalid rules)").WithDetails(fe)
	}
	return nil
}

// domainTime formats an optional time for JSON answers.
func domainTime(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMicros(*v)
	return &t
}
