package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/workday"
)

// RegistryPackage is what the registry asks for (NREG.5, NREG.7): the
// subject, the object, the materials, the 存证 evidence with its digest and
// its verification now, and the result (code, validity). The national
// registry's interface is not public; this package is the hand-over.
type RegistryPackage struct {
	Format       string                `json:"format"` // shuyu-registry-package/1
	GeneratedAt  time.Time             `json:"generated_at"`
	SubjectUSCC  string                `json:"subject_uscc"`
	Registration *shuyu.RegistryRecord `json:"registration"`
	Check        *EvidenceCheck        `json:"evidence_check"`
}

// RegistryExport builds the export package of one registration for the
// actor (who must be allowed to read it).
func (d *DB) RegistryExport(ctx context.Context, actor *shuyu.Actor, id int64) (*RegistryPackage, error) {
	g, err := d.Registry(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	c, err := d.VerifyRegistryEvidence(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	p := &RegistryPackage{Format: "shuyu-registry-package/1", GeneratedAt: d.now(), Registration: g, Check: c}
	err = d.view(ctx, func(tx *Tx) error {
		o, err := tx.org(g.SubjectOrgID)
		if err == nil {
			p.SubjectUSCC = o.Code
		}
		return err
	})
	return p, err
}

// RegistryXLSX renders the package as a workbook: one sheet of the
// registration's items as label/value rows.
func RegistryXLSX(p *RegistryPackage) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "登记信息"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	g := p.Registration
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(workday.Zone).Format("2006-01-02")
	}
	kind := map[string]string{shuyu.RgyResource: "公共数据资源", shuyu.RgyProduct: "产品和服务"}[g.Kind]
	typ := map[string]string{shuyu.RgyFirst: "首次登记", shuyu.RgyChange: "变更登记", shuyu.RgyCorrection: "更正登记",
		shuyu.RgyRenewal: "续期", shuyu.RgyCancellation: "注销登记"}[g.Type]
	rows := [][]any{
		{"公共数据资源登记信息"},
		{"登记编号（结果码）", g.Code},
		{"登记类别", kind},
		{"登记类型", typ},
		{"登记主体", g.SubjectName},
		{"统一社会信用代码", p.SubjectUSCC},
		{"名称", g.Name},
		{"简要描述", g.Summary},
		{"数据来源合法性", g.Materials.LawfulSource},
		{"资源描述", g.Materials.Description},
		{"产品和服务信息", g.Materials.ProductInfo},
		{"应用场景信息", g.Materials.ScenarioInfo},
		{"数据安全风险评估", g.Materials.RiskAssessment},
		{"存证摘要（SM3）", g.EvidenceDigest},
		{"存证核验", fmt.Sprintf("摘要%s；数据版本%s；审计检查点%s", okZH(p.Check.DigestOK), okZH(p.Check.DataOK), okZH(p.Check.CheckpointOK))},
		{"申请日期", day(&g.SubmittedAt)},
		{"受理日期", day(g.AcceptedAt)},
		{"公示期", day(g.NoticeStart) + " 至 " + day(g.NoticeDue)},
		{"赋码日期", day(g.RegisteredAt)},
		{"有效期", g.ValidFrom + " 至 " + g.ValidUntil},
		{"状态", rgyStatusZH[g.Status]},
		{"存证原文", g.Evidence},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 22)
	_ = f.SetColWidth(sheet, "B", "B", 80)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func okZH(ok bool) string {
	if ok {
		return "一致"
	}
	return "不一致"
}
