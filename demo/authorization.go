package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// seedAuthorization records the operator's authorization agreement (R13.1,
// NIMP.3): 整体授权 over the whole demo catalog for 5 years from the first
// day of last year, signed by the city data bureau and the operator with
// their SM2 keys and filed with the provincial data department.
func seedAuthorization(ctx context.Context, db *sqlstore.DB, password string) error {
	authority, err := demoActor(ctx, db, "authority")
	if err != nil {
		return err
	}
	operator, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return err
	}
	// From the first day of last year: the demo's priced history (money.go)
	// runs from then, and a workspace needs an authorization in force.
	year := db.Now().In(cst).Year() - 1
	start := time.Date(year, 1, 1, 0, 0, 0, 0, cst)
	in := shuyu.AuthorizationInput{OperatorOrgID: operator.OrgID, Title: "中卫市公共数据资源授权运营协议", Mode: shuyu.AuthWhole,
		TermStart: start.Format(time.DateOnly), TermEnd: start.AddDate(shuyu.MaxAuthorizationYears, 0, -1).Format(time.DateOnly),
		Items: shuyu.AuthorizationItems{
			Object:      "中卫市公共数据运营有限公司（市属国有独资企业），负责全市公共数据资源授权运营平台的建设和运营。",
			Content:     "在市数据局授权范围内，对授权运营目录中的公共数据进行加工处理，开发数据产品和服务，并向数据商提供开发利用环境。",
			ScopeNote:   "授权运营目录中的全部公共数据资源；禁止开放类数据不在授权范围内。",
			ModeNote:    "整体授权。具体场景的数据使用仍须经申请、审核并签订开发利用协议。",
			TermNote:    "授权期限五年，期满前六个月由市数据局组织评估，决定是否重新授权。",
			Selection:   "经市数据局公开发布遴选公告，按竞争性磋商方式比选三家申请单位，经专家评审确定；评审记录存档备查。",
			Products:    "公共治理和公益事业类产品和服务免费提供；产业发展和行业发展类产品和服务按政府指导价收费。",
			Security:    "原始数据不出域、数据可用不可见；运营机构落实数据分类分级保护和个人信息保护，每年开展安全评估。",
			Pricing:     "公共数据运营服务费实行政府指导价，不得超过核定的上限价格；授权运营业务单独核算。",
			Duties:      "运营机构不得直接或间接参与其已交付产品和服务的再开发；按时报送运营情况，接受监督检查。",
			Disclosure:  "市数据局每年3月底前公开授权对象、内容、范围和期限；运营机构公开产品和服务目录、价格及资源使用情况。",
			Supervision: "市数据局会同网信、公安等部门监督；违反协议的，责令整改，情节严重的终止授权并依法追究责任。",
			Exit:        "授权期满或终止时，运营机构移交平台数据资产和运营资料，删除留存的公共数据，妥善处置在用产品和服务。"}}
	z, err := db.DraftAuthorization(ctx, authority, in)
	if err != nil {
		return fmt.Errorf("demo: authorization: %w", err)
	}
	if _, err := db.SignAuthorization(ctx, authority, z.ID, password); err != nil {
		return fmt.Errorf("demo: authorization: authority signs: %w", err)
	}
	if _, err := db.SignAuthorization(ctx, operator, z.ID, password); err != nil {
		return fmt.Errorf("demo: authorization: operator signs: %w", err)
	}
	if _, err := db.FileAuthorization(ctx, authority, z.ID, fmt.Sprintf("宁数据备〔%d〕7号", year)); err != nil {
		return fmt.Errorf("demo: authorization: filing: %w", err)
	}
	return nil
}

// cst is Beijing time, the zone of the agreement's dates.
var cst = time.FixedZone("CST", 8*3600)
