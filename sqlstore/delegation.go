package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Service providers acting for merchants (R6.3). A merchant delegates
// named tasks to a registered provider (an active organization of kind
// service_provider) for a term. A provider's account acts for the merchant
// by naming the delegation (ActFor builds the actor); inside every write
// transaction of such an actor the delegation is checked again
// (Tx.actingCheck, called from audit, which every write calls), so a write
// after the revocation, or after the term, never commits; and every event
// records the provider's user and, in its detail, the merchant it acted
// for and the delegation.

const delegationCols = `d.id, d.merchant_org, m.name, d.provider_org, p.name, d.tasks, d.starts_at, d.ends_at, d.real_data,
	d.agreement_id, d.note, d.status, d.created_by, d.created_at, d.confirmed_at, d.revoked_at, d.revoke_reason`

const delegationFrom = ` FROM delegations d JOIN orgs m ON m.id = d.merchant_org JOIN orgs p ON p.id = d.provider_org`

func (tx *Tx) scanDelegation(row interface{ Scan(...any) error }) (*shuyu.Delegation, error) {
	var g shuyu.Delegation
	var tasks string
	var starts, ends, created int64
	var agr, confirmed, revoked *int64
	if err := row.Scan(&g.ID, &g.MerchantOrg, &g.MerchantName, &g.ProviderOrg, &g.ProviderName, &tasks, &starts, &ends, &g.RealData,
		&agr, &g.Note, &g.Status, &g.CreatedBy, &created, &confirmed, &revoked, &g.RevokeReason); err != nil {
		return nil, err
	}
	g.Tasks = shuyu.ParseTasks(tasks)
	g.StartsAt, g.EndsAt, g.CreatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created)
	if agr != nil {
		g.AgreementID = *agr
	}
	if confirmed != nil {
		t := fromMicros(*confirmed)
		g.ConfirmedAt = &t
	}
	if revoked != nil {
		t := fromMicros(*revoked)
		g.RevokedAt = &t
	}
	if g.Status == shuyu.DelegationActive {
		switch {
		case !tx.now.Before(g.EndsAt):
			g.Status = shuyu.DelegationExpired
		case tx.now.Before(g.StartsAt):
			g.Status = shuyu.DelegationPending
		}
	}
	return &g, nil
}

func (tx *Tx) delegation(id int64) (*shuyu.Delegation, error) {
	g, err := tx.scanDelegation(tx.queryRow(`SELECT `+delegationCols+delegationFrom+` WHERE d.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("委托")
	}
	return g, err
}

// delegationFor loads delegation id and authorizes action on it.
func (d *DB) delegationFor(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*shuyu.Delegation, error) {
	var g *shuyu.Delegation
	if err := d.view(ctx, func(tx *Tx) error {
		var err error
		g, err = tx.delegation(id)
		return err
	}); err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, g.Resource()); err != nil {
		return nil, err
	}
	return g, nil
}

// CreateDelegation records a merchant's delegation of tasks to a provider
// for a term (R6.3). Naming one of the merchant's agreements in force asks
// for real-data access, which the operator confirms.
func (d *DB) CreateDelegation(ctx context.Context, actor *shuyu.Actor, in shuyu.DelegationInput) (*shuyu.Delegation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDelegationCreate, shuyu.Resource{Kind: "delegation"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	add := func(f, m string) { fe = append(fe, shuyu.FieldError{Field: f, Message: m}) }
	if len(in.Tasks) == 0 {
		add("tasks", "至少委托一项事务")
	}
	seen := map[shuyu.DelegationTask]bool{}
	for _, t := range in.Tasks {
		if !slices.Contains(shuyu.DelegationTasks, t) {
			add("tasks", "事务须为 application（准备使用申请）、sim_query（仿真数据查询）或 product（准备数据产品）")
		} else if seen[t] {
			add("tasks", "事务“"+string(t)+"”重复")
		}
		seen[t] = true
	}
	from, errF := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.From), shanghai)
	to, errT := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.To), shanghai)
	switch {
	case errF != nil:
		add("from", "开始日期格式须为 YYYY-MM-DD")
	case errT != nil:
		add("to", "结束日期格式须为 YYYY-MM-DD")
	case to.Before(from):
		add("to", "结束日期不得早于开始日期")
	case to.Sub(from) > shuyu.MaxDelegationDays*24*time.Hour:
		add("to", fmt.Sprintf("委托期限不得超过 %d 天", shuyu.MaxDelegationDays))
	}
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > 1000 {
		add("note", "说明不得超过 1000 个字")
	}
	if in.ProviderOrgID <= 0 {
		add("provider_org_id", "请选择服务机构")
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "委托信息不完整或有误 (invalid delegation)").WithDetails(fe)
	}
	ends := to.AddDate(0, 0, 1)
	tasks := make([]string, len(in.Tasks))
	for i, t := range in.Tasks {
		tasks[i] = string(t)
	}
	var out *shuyu.Delegation
	err := d.update(ctx, actor, func(tx *Tx) error {
		if !ends.After(tx.now) {
			return shuyu.Errorf(shuyu.EINVALID, "委托期限已过 (the term is over)").WithDetails([]shuyu.FieldError{{Field: "to", Message: "结束日期已过"}})
		}
		p, err := tx.org(in.ProviderOrgID)
		if err != nil || p.Kind != shuyu.OrgServiceProvider || p.Status != "active" {
			return shuyu.Errorf(shuyu.EINVALID, "只能委托已登记的第三方专业服务机构 (not a registered service provider)").
				WithDetails([]shuyu.FieldError{{Field: "provider_org_id", Message: "不是已登记的服务机构"}})
		}
		realData, agr := shuyu.RealDataNone, any(nil)
		if in.AgreementID != 0 {
			if err := tx.agreementInForce(in.AgreementID, actor.OrgID); err != nil {
				return err
			}
			realData, agr = shuyu.RealDataRequested, in.AgreementID
		}
		id, err := tx.insert(`INSERT INTO delegations (merchant_org, provider_org, tasks, starts_at, ends_at, real_data, agreement_id, note,
			status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, actor.OrgID, p.ID, strings.Join(tasks, ","),
			micros(from), micros(ends), realData, agr, note, shuyu.DelegationActive, actor.UserID, micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDelegationCreate, ObjectType: "delegation", ObjectID: id, Reason: note,
			Detail: map[string]any{"provider_org": p.ID, "tasks": tasks, "from": in.From, "to": in.To, "real_data": realData, "rule": "R6.3"}}); err != nil {
			return err
		}
		link := "/providers"
		if err := tx.notify(Notice{OrgID: p.ID, Kind: "delegation.created", Title: "数据商委托贵机构办理事务，期限至 " + in.To,
			ObjectType: "delegation", ObjectID: fmt.Sprint(id), Link: link}); err != nil {
			return err
		}
		if realData == shuyu.RealDataRequested {
			ops, err := tx.orgsOfKind(shuyu.OrgOperator)
			if err != nil {
				return err
			}
			if err := tx.notifyOrgs(ops, Notice{Kind: "delegation.real_data", Title: "数据商申请让服务机构使用真实数据，请核对开发利用协议后确认",
				ObjectType: "delegation", ObjectID: fmt.Sprint(id), Link: link}); err != nil {
				return err
			}
		}
		out, err = tx.delegation(id)
		return err
	})
	return out, err
}

// agreementInForce: the merchant's agreement id is in force.
func (tx *Tx) agreementInForce(id, merchantOrg int64) error {
	var org int64
	var status string
	err := tx.queryRow(`SELECT merchant_org_id, status FROM agreements WHERE id = ?`, id).Scan(&org, &status)
	if isNoRows(err) || (err == nil && org != merchantOrg) {
		return shuyu.Errorf(shuyu.EINVALID, "开发利用协议不存在 (no such agreement of yours)").
			WithDetails([]shuyu.FieldError{{Field: "agreement_id", Message: "不是贵单位的协议"}})
	}
	if err != nil {
		return err
	}
	if status != shuyu.AgrEffective {
		return shuyu.Errorf(shuyu.ECONFLICT, "开发利用协议未生效或已终止，不能据此让服务机构使用真实数据 (agreement not in force)")
	}
	return nil
}

// RevokeDelegation ends a delegation at once (R6.3): from this commit no
// act of the provider for the merchant succeeds.
func (d *DB) RevokeDelegation(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*shuyu.Delegation, error) {
	if _, err := d.delegationFor(ctx, actor, shuyu.ActDelegationRevoke, id); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "理由不得超过 1000 个字 (reason too long)")
	}
	var out *shuyu.Delegation
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.delegation(id)
		if err != nil {
			return err
		}
		if g.Status == shuyu.DelegationRevoked {
			return shuyu.Errorf(shuyu.ECONFLICT, "委托已撤销 (already revoked)")
		}
		if _, err := tx.exec(`UPDATE delegations SET status = ?, revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE id = ?`,
			shuyu.DelegationRevoked, actor.UserID, micros(tx.now), reason, id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDelegationRevoke, ObjectType: "delegation", ObjectID: id, Reason: reason,
			Detail: map[string]any{"provider_org": g.ProviderOrg, "rule": "R6.3"}}); err != nil {
			return err
		}
		if err := tx.notify(Notice{OrgID: g.ProviderOrg, Kind: "delegation.revoked", Title: g.MerchantName + "已撤销对贵机构的委托",
			Body: reason, ObjectType: "delegation", ObjectID: fmt.Sprint(id), Link: "/providers"}); err != nil {
			return err
		}
		out, err = tx.delegation(id)
		return err
	})
	return out, err
}

// ConfirmDelegationRealData is the operator's confirmation, as the other
// party to the merchant's agreement, that the agreement allows the
// provider to work with real data (R6.3, R19.1).
func (d *DB) ConfirmDelegationRealData(ctx context.Context, actor *shuyu.Actor, id int64, note string) (*shuyu.Delegation, error) {
	if _, err := d.delegationFor(ctx, actor, shuyu.ActDelegationConfirm, id); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n < 4 || n > 1000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请写明协议中允许服务机构使用真实数据的条款（4 至 1000 字） (cite the clause)").
			WithDetails([]shuyu.FieldError{{Field: "note", Message: "请写明依据的条款"}})
	}
	var out *shuyu.Delegation
	err := d.update(ctx, actor, func(tx *Tx) error {
		g, err := tx.delegation(id)
		if err != nil {
			return err
		}
		if g.Status != shuyu.DelegationActive && g.Status != shuyu.DelegationPending {
			return shuyu.Errorf(shuyu.ECONFLICT, "委托已撤销或到期 (delegation not in force)")
		}
		if g.RealData != shuyu.RealDataRequested {
			return shuyu.Errorf(shuyu.ECONFLICT, "该委托未申请使用真实数据或已确认 (nothing to confirm)")
		}
		if err := tx.agreementInForce(g.AgreementID, g.MerchantOrg); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE delegations SET real_data = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?`,
			shuyu.RealDataAllowed, actor.UserID, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDelegationConfirm, ObjectType: "delegation", ObjectID: id, Reason: note,
			Detail: map[string]any{"agreement_id": g.AgreementID, "rule": "R6.3"}}); err != nil {
			return err
		}
		if err := tx.notifyOrgs([]int64{g.MerchantOrg, g.ProviderOrg}, Notice{Kind: "delegation.real_data_allowed",
			Title: "运营机构已确认：服务机构可按协议使用真实数据", Body: note, ObjectType: "delegation", ObjectID: fmt.Sprint(id), Link: "/providers"}); err != nil {
			return err
		}
		out, err = tx.delegation(id)
		return err
	})
	return out, err
}

// Delegations lists the delegations the actor may read, newest first.
func (d *DB) Delegations(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Delegation, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDelegationRead, shuyu.Resource{Kind: "delegation"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Delegation{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + delegationCols + delegationFrom + ` ORDER BY d.id DESC LIMIT 1000`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := tx.scanDelegation(rows)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActDelegationRead, g.Resource()) {
				out = append(out, g)
			}
		}
		return rows.Err()
	})
	return out, err
}

// ActFor is the actor of provider's account acting for a merchant under
// delegation id (R6.3): the merchant's organization, the delegated tasks,
// real data only when confirmed. Anything else is refused: another
// provider's delegation is absent (404), one revoked, expired or not yet
// begun is a 403 saying so.
//
// R6.3: the request the actor is made for (req) is recorded durably before
// the actor is returned (provider_reads.go); a request that cannot be
// recorded is refused.
func (d *DB) ActFor(ctx context.Context, actor *shuyu.Actor, id int64, req ActingRequest) (*shuyu.Actor, error) {
	out, err := d.actingActor(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := d.recordActing(ctx, out, req); err != nil {
		return nil, fmt.Errorf("sqlstore: record the provider's request: %w", err)
	}
	return out, nil
}

// actingActor decides and builds the acting actor; only ActFor calls it
// (and the benchmark's baseline, through export_test).
func (d *DB) actingActor(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.Actor, error) {
	if actor == nil || actor.Acting != nil || !actor.Has(shuyu.RoleServiceProvider) {
		return nil, shuyu.Errorf(shuyu.EFORBIDDEN, "只有第三方服务机构的账号可以受托办理 (only a service provider acts for a merchant)")
	}
	var out *shuyu.Actor
	err := d.view(ctx, func(tx *Tx) error {
		g, err := tx.delegation(id)
		if err != nil {
			return err
		}
		if g.ProviderOrg != actor.OrgID {
			return notFound("委托")
		}
		if err := delegationUsable(g); err != nil {
			return err
		}
		m, err := tx.org(g.MerchantOrg)
		if err != nil {
			return err
		}
		if m.Status != "active" {
			return shuyu.Errorf(shuyu.EFORBIDDEN, "委托的数据商已暂停或退出 (merchant not active)")
		}
		// Real data while the agreement that allows it is in force.
		real := g.RealData == shuyu.RealDataAllowed && tx.agreementInForce(g.AgreementID, g.MerchantOrg) == nil
		out = &shuyu.Actor{UserID: actor.UserID, Username: actor.Username, Roles: []shuyu.Role{shuyu.RoleServiceProvider},
			OrgID: m.ID, OrgKind: m.Kind, Region: m.Region, Acting: &shuyu.Acting{DelegationID: g.ID, MerchantOrgID: m.ID,
				ProviderOrgID: g.ProviderOrg, Tasks: g.Tasks, RealData: real}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func delegationUsable(g *shuyu.Delegation) error {
	switch g.Status {
	case shuyu.DelegationActive:
		return nil
	case shuyu.DelegationRevoked:
		return shuyu.Errorf(shuyu.EFORBIDDEN, "委托已于 %s 撤销 (delegation revoked)", g.RevokedAt.In(shanghai).Format("2006-01-02 15:04"))
	case shuyu.DelegationPending:
		return shuyu.Errorf(shuyu.EFORBIDDEN, "委托期限自 %s 开始 (delegation not yet in force)", g.StartsAt.In(shanghai).Format(time.DateOnly))
	}
	return shuyu.Errorf(shuyu.EFORBIDDEN, "委托期限已届满 (delegation expired)")
}

// actingCheck re-reads the delegation of an acting actor inside the write
// transaction: revoked, expired or narrowed since the request began, the
// write is refused and nothing commits (R6.3).
func (tx *Tx) actingCheck(a *shuyu.Actor) error {
	if tx.actingChecked {
		return nil
	}
	g, err := tx.delegation(a.Acting.DelegationID)
	if err != nil {
		return err
	}
	if err := delegationUsable(g); err != nil {
		return err
	}
	if a.Acting.RealData && (g.RealData != shuyu.RealDataAllowed || tx.agreementInForce(g.AgreementID, g.MerchantOrg) != nil) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "协议已终止或真实数据授权已变更 (real-data access no longer allowed)")
	}
	if g.MerchantOrg != a.OrgID || g.ProviderOrg != a.Acting.ProviderOrgID {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "委托已变更，请重新办理 (delegation changed)")
	}
	for _, t := range a.Acting.Tasks {
		if !slices.Contains(g.Tasks, t) {
			return shuyu.Errorf(shuyu.EFORBIDDEN, "委托已变更，请重新办理 (delegation changed)")
		}
	}
	tx.actingChecked = true
	return nil
}

// actingDetail adds who acted for whom to an event's detail: the
// provider's organization, the merchant and the delegation.
func actingDetail(a *shuyu.Actor, detail any) (any, error) {
	m := map[string]any{}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &m); err != nil { // not an object: keep it whole
			m = map[string]any{"detail": json.RawMessage(b)}
		}
	}
	m["on_behalf_of"], m["provider_org"], m["delegation"] = a.Acting.MerchantOrgID, a.Acting.ProviderOrgID, a.Acting.DelegationID
	return m, nil
}

// ServiceProvider is a registered provider a merchant can delegate to.
type ServiceProvider struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ServiceProviders lists the registered (active) service providers, for
// whoever may delegate or read delegations.
func (d *DB) ServiceProviders(ctx context.Context, actor *shuyu.Actor) ([]ServiceProvider, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDelegationRead, shuyu.Resource{Kind: "delegation"}); err != nil {
		return nil, err
	}
	out := []ServiceProvider{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, name FROM orgs WHERE kind = ? AND status = 'active' ORDER BY id`, shuyu.OrgServiceProvider)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p ServiceProvider
			if err := rows.Scan(&p.ID, &p.Name); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// actingRealData is the store's own guard on real data (R6.3): a query
// over real data by a provider acting without confirmed access is never
// recorded, whatever the caller did before.
func actingRealData(a *shuyu.Actor, c Change) error {
	if a.Acting.RealData || c.Action != shuyu.AuditWorkspaceQuery {
		return nil
	}
	if d, ok := c.Detail.(map[string]any); ok && d["data"] == shuyu.DataReal {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "服务机构受托只能使用仿真数据 (providers use simulated data only, R6.3)")
	}
	return nil
}
