package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"shuyu"
)

// API-service products (数据接口服务, R28.4): definitions, the template
// check, filing, the public list. Keys and calls are in services_call.go;
// data-subject authorization in consents.go. The template's column rules and
// the output check run in packages sandbox and outcheck (dataservice calls
// them); the store keeps the states, who may move them, and the trail.

const serviceCols = `s.id, s.org_id, o.name, s.workspace_id, s.name, s.description, s.scenario, s.template, s.consent, s.status,
	s.quota_day, s.rate_minute, s.subject_day, s.check_report, s.filing_no, s.filed_at, s.created_at, s.updated_at`

func (tx *Tx) service(id int64) (*shuyu.APIService, error) {
	s, err := scanService(tx.queryRow(`SELECT `+serviceCols+` FROM api_services s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("数据接口服务")
	}
	if err != nil {
		return nil, err
	}
	return s, tx.serviceState(s)
}

func scanService(r interface{ Scan(...any) error }) (*shuyu.APIService, error) {
	var s shuyu.APIService
	var tpl, report string
	var filed *int64
	var created, updated int64
	if err := r.Scan(&s.ID, &s.OrgID, &s.OrgName, &s.WorkspaceID, &s.Name, &s.Description, &s.Scenario, &tpl, &s.Consent,
		&s.Stored, &s.QuotaDay, &s.RateMinute, &s.SubjectDay, &report, &s.FilingNo, &filed, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tpl), &s.Template); err != nil {
		return nil, fmt.Errorf("sqlstore: service template: %w", err)
	}
	if report != "" {
		s.CheckReport = shuyu.RawJSON(report)
	}
	s.FiledAt = domainTime(filed)
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// serviceState loads the sources and sets the effective status: a filed
// service whose source entry is suspended is suspended (R27.3).
func (tx *Tx) serviceState(s *shuyu.APIService) error {
	rows, err := tx.query(`SELECT entry_id FROM api_service_sources WHERE service_id = ? ORDER BY entry_id`, s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.Sources = []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		s.Sources = append(s.Sources, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.Status = s.Stored
	if s.Stored == shuyu.ServiceFiled {
		for _, e := range s.Sources {
			if susp, err := tx.domainSuspended(e); err != nil {
				return err
			} else if susp {
				s.Status = shuyu.ServiceSuspended
			}
		}
	}
	return nil
}

// ServiceFor loads a service and authorizes action on it.
func (d *DB) ServiceFor(ctx context.Context, actor *shuyu.Actor, action shuyu.Action, id int64) (*shuyu.APIService, error) {
	var s *shuyu.APIService
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.service(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, action, s.Resource()); err != nil {
		return nil, err
	}
	return s, nil
}

// Services lists the services the actor may read: a merchant its own, the
// operator, the authority and regulators all.
func (d *DB) Services(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.APIService, error) {
	if err := shuyu.Authorize(actor, shuyu.ActServiceRead, shuyu.Resource{Kind: "api_service"}); err != nil {
		return nil, err
	}
	return d.services(ctx, func(s *shuyu.APIService) bool {
		return shuyu.Authorize(actor, shuyu.ActServiceRead, s.Resource()) == nil
	})
}

// PublicServices lists filed services for anyone (R23.2, like released
// products): name, provider, scenario and the answer's schema.
func (d *DB) PublicServices(ctx context.Context) ([]*shuyu.APIService, error) {
	list, err := d.services(ctx, func(s *shuyu.APIService) bool { return s.Stored == shuyu.ServiceFiled })
	for _, s := range list {
		s.CheckReport = nil
	}
	return list, err
}

func (d *DB) services(ctx context.Context, keep func(*shuyu.APIService) bool) ([]*shuyu.APIService, error) {
	out := []*shuyu.APIService{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + serviceCols + ` FROM api_services s JOIN orgs o ON o.id = s.org_id ORDER BY s.id DESC`)
		if err != nil {
			return err
		}
		var all []*shuyu.APIService
		for rows.Next() {
			s, err := scanService(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range all {
			if err := tx.serviceState(s); err != nil {
				return err
			}
			if keep(s) {
				out = append(out, s)
			}
		}
		return nil
	})
	return out, err
}

// CreateService records a service definition in a workspace of the actor's
// organisation; sources are the catalog entries its template reads (the
// caller compiled the template against the workspace, sandbox.CompileService).
func (d *DB) CreateService(ctx context.Context, actor *shuyu.Actor, in shuyu.APIServiceInput, sources []int64) (*shuyu.APIService, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	tpl, err := json.Marshal(in.Template)
	if err != nil {
		return nil, err
	}
	var out *shuyu.APIService
	err = d.update(ctx, actor, func(tx *Tx) error {
		ws, err := tx.workspace(in.WorkspaceID)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActServiceCreate, shuyu.Resource{Kind: "api_service", OrgID: ws.OrgID, Exists: true}); err != nil {
			return err
		}
		now := micros(tx.now)
		id, err := tx.insert(`INSERT INTO api_services (org_id, workspace_id, name, description, scenario, template, consent, status,
			quota_day, rate_minute, subject_day, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ws.OrgID, ws.ID, in.Name, in.Description, in.Scenario, string(tpl), boolInt(in.Consent), shuyu.ServiceDraft,
			in.QuotaDay, in.RateMinute, in.SubjectDay, actor.UserID, now, now)
		if err != nil {
			return err
		}
		for _, e := range sources {
			if _, err := tx.exec(`INSERT INTO api_service_sources (service_id, entry_id) VALUES (?, ?)`, id, e); err != nil {
				return err
			}
		}
		if err := tx.audit(Change{Action: shuyu.AuditServiceCreate, ObjectType: "api_service", ObjectID: id,
			Detail: map[string]any{"workspace_id": ws.ID, "sources": sources, "outputs": outputNames(in.Template), "consent": in.Consent}}); err != nil {
			return err
		}
		out, err = tx.service(id)
		return err
	})
	return out, err
}

func outputNames(t shuyu.ServiceTemplate) []string {
	n := make([]string, len(t.Outputs))
	for i, o := range t.Outputs {
		n[i] = o.Name + ":" + o.Kind
	}
	return n
}

// RecordServiceCheck stores the output check of the template (R28.4): a
// draft or a failed service moves to checked or check_failed.
func (d *DB) RecordServiceCheck(ctx context.Context, actor *shuyu.Actor, id int64, passed bool, report []byte) (*shuyu.APIService, error) {
	var out *shuyu.APIService
	err := d.update(ctx, actor, func(tx *Tx) error {
		s, err := tx.service(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActServiceRequest, s.Resource()); err != nil {
			return err
		}
		if s.Stored != shuyu.ServiceDraft && s.Stored != shuyu.ServiceCheckFailed {
			return shuyu.Errorf(shuyu.ECONFLICT, "服务状态为 %s，不能再次核查 (service not a draft)", s.Stored)
		}
		next := shuyu.ServiceCheckFailed
		if passed {
			next = shuyu.ServiceChecked
		}
		if _, err := tx.exec(`UPDATE api_services SET status = ?, check_report = ?, updated_at = ? WHERE id = ?`,
			next, string(report), micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditServiceCheck, ObjectType: "api_service", ObjectID: id,
			Detail: map[string]any{"passed": passed, "status": next}}); err != nil {
			return err
		}
		out, err = tx.service(id)
		return err
	})
	return out, err
}

// FileService files a checked service with the authority (R23.2): from now
// on consumers may take keys and call it.
func (d *DB) FileService(ctx context.Context, actor *shuyu.Actor, id int64, filingNo string) (*shuyu.APIService, error) {
	filingNo = strings.TrimSpace(filingNo)
	if len(filingNo) > 60 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "备案号过长 (filing number too long)").
			WithDetails([]shuyu.FieldError{{Field: "filing_no", Message: "不超过 60 个字符"}})
	}
	var out *shuyu.APIService
	err := d.update(ctx, actor, func(tx *Tx) error {
		s, err := tx.service(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActServiceFile, s.Resource()); err != nil {
			return err
		}
		if s.Stored != shuyu.ServiceChecked {
			return shuyu.Errorf(shuyu.ECONFLICT, "只有核查通过的服务才能备案 (service not checked)")
		}
		if filingNo == "" {
			filingNo = fmt.Sprintf("ZWAPI-%s-%04d", tx.now.In(shanghai).Format("2006"), id)
		}
		if _, err := tx.exec(`UPDATE api_services SET status = ?, filing_no = ?, filed_at = ?, filed_by = ?, updated_at = ? WHERE id = ?`,
			shuyu.ServiceFiled, filingNo, micros(tx.now), actor.UserID, micros(tx.now), id); err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditServiceFile, ObjectType: "api_service", ObjectID: id,
			Detail: map[string]any{"filing_no": filingNo}}); err != nil {
			return err
		}
		out, err = tx.service(id)
		return err
	})
	return out, err
}

// ServiceWorkspace loads the workspace a service runs in, for the service
// layer to build its template's tables. It authorizes nothing: a definer
// was authorized on the workspace when the service was created, and a
// caller is authenticated by its key in the call's own transaction.
func (d *DB) ServiceWorkspace(ctx context.Context, serviceID int64) (*shuyu.Workspace, error) {
	var w *shuyu.Workspace
	err := d.view(ctx, func(tx *Tx) error {
		var wsID int64
		err := tx.queryRow(`SELECT workspace_id FROM api_services WHERE id = ?`, serviceID).Scan(&wsID)
		if isNoRows(err) {
			return notFound("数据接口服务")
		}
		if err != nil {
			return err
		}
		w, err = tx.workspace(wsID)
		return err
	})
	return w, err
}

// FiledService reads one filed service (anyone may: filed services are
// public), for checking a call's parameters before its transaction.
func (d *DB) FiledService(ctx context.Context, id int64) (*shuyu.APIService, error) {
	var s *shuyu.APIService
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.service(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Stored != shuyu.ServiceFiled {
		return nil, notFound("数据接口服务")
	}
	s.CheckReport = nil
	return s, nil
}
