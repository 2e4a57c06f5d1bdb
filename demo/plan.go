package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// seedPlan: the implementation plan (R12.1, NIMP.2) drafted by the
// authority in November before the authorization began, approved by the
// city government and filed with the province in December, then a minor
// change adopted the next spring; the register of pre-existing channels
// (R15.1): one folded into the platform, one closed, one assessed and
// waiting for the decision; the operator's operations reports (R32.1) of
// last year and of this year's ended quarters, all but the newest
// acknowledged. Each step runs at its own date (the store's clock is set
// for it, as seedMoney does), before the server's sweep starts.
func seedPlan(ctx context.Context, db *sqlstore.DB) error {
	if _, err := db.PlanInForce(ctx); err == nil || shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		return err
	}
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return fmt.Errorf("demo: plan: %w", err)
	}
	op, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return fmt.Errorf("demo: plan: %w", err)
	}
	real := db.Now
	defer func() { db.Now = real }()
	now := real().In(cst)
	y := now.Year() - 1 // the authorization began on 1 January of last year
	at := func(year int, m time.Month, d int) {
		t := time.Date(year, m, d, 10, 0, 0, 0, cst)
		db.Now = func() time.Time { return t }
	}

	at(y-1, 11, 20)
	in := shuyu.PlanInput{Title: "中卫市公共数据资源授权运营实施方案", Items: demoPlanItems()}
	p, err := db.DraftPlan(ctx, auth, in)
	if err != nil {
		return fmt.Errorf("demo: plan: %w", err)
	}
	at(y-1, 12, 10)
	if _, err := db.ApprovePlan(ctx, auth, p.ID, shuyu.PlanApproval{Document: fmt.Sprintf("卫政函〔%d〕86号", y-1), Date: fmt.Sprintf("%d-12-09", y-1)}); err != nil {
		return fmt.Errorf("demo: plan approval: %w", err)
	}
	at(y-1, 12, 20)
	if _, err := db.FilePlan(ctx, auth, p.ID, shuyu.PlanFiling{Number: fmt.Sprintf("宁数据备〔%d〕31号", y-1), Date: fmt.Sprintf("%d-12-19", y-1)}); err != nil {
		return fmt.Errorf("demo: plan filing: %w", err)
	}
	at(y, 4, 8)
	in.Items.Security += "；平台按网络安全等级保护第三级要求建设和测评"
	in.Note = "补充等级保护要求，不涉及重大事项"
	p2, err := db.DraftPlan(ctx, auth, in)
	if err != nil {
		return fmt.Errorf("demo: plan v2: %w", err)
	}
	if _, err := db.AdoptPlan(ctx, auth, p2.ID); err != nil {
		return fmt.Errorf("demo: plan v2: %w", err)
	}

	channels := []struct {
		in                 shuyu.ChannelInput
		assessment, decide string
	}{
		{shuyu.ChannelInput{Name: "人口信息核验接口", Holder: "中卫市公安局", Description: "此前向三家银行直接提供的人口身份核验接口，按调用次数记录"},
			"接口由部门自行运行，无统一审计和出域核查，不符合“原始数据不出域”要求；核验需求可由平台接口服务满足", shuyu.ChannelFoldIn},
		{shuyu.ChannelInput{Name: "统计数据光盘交换", Holder: "中卫市卫生健康委员会", Description: "按季度刻录光盘向合作单位交换卫生统计数据"},
			"离线交换无法追溯使用情况，且数据已纳入授权运营目录，可停止", shuyu.ChannelClose},
		{shuyu.ChannelInput{Name: "企业信用信息批量下载", Holder: "中卫市市场监督管理局", Description: "向评级机构提供的企业登记信息批量下载"},
			"批量下载含企业联系人信息，应改为平台内开发利用；需与市场监管部门商定过渡期", ""},
	}
	for i, c := range channels {
		at(y, 1, 15+i)
		ch, err := db.RegisterChannel(ctx, auth, c.in)
		if err != nil {
			return fmt.Errorf("demo: channel: %w", err)
		}
		at(y, 2, 10+i)
		if _, err := db.AssessChannel(ctx, auth, ch.ID, c.assessment); err != nil {
			return fmt.Errorf("demo: channel: %w", err)
		}
		if c.decide != "" {
			at(y, 3, 2+i)
			if _, err := db.DecideChannel(ctx, auth, ch.ID, c.decide, "经评估决定"); err != nil {
				return fmt.Errorf("demo: channel: %w", err)
			}
		}
	}

	// Operations reports: last year, then this year's ended quarters.
	type rep struct {
		period    string
		submitted time.Time
	}
	reps := []rep{{fmt.Sprint(y), time.Date(y+1, 1, 20, 10, 0, 0, 0, cst)}}
	for q := 1; q <= 4; q++ {
		end := time.Date(y+1, time.Month(3*q+1), 1, 0, 0, 0, 0, cst)
		if !end.Before(now) {
			break
		}
		reps = append(reps, rep{fmt.Sprintf("%d-Q%d", y+1, q), end.AddDate(0, 0, 10)})
	}
	for i, r := range reps {
		if !r.submitted.Before(now) {
			continue
		}
		t := r.submitted
		db.Now = func() time.Time { return t }
		o, err := db.SubmitOpsReport(ctx, op, r.period)
		if err != nil {
			return fmt.Errorf("demo: operations report %s: %w", r.period, err)
		}
		if i < len(reps)-1 {
			t = t.AddDate(0, 0, 3)
			if _, err := db.AcknowledgeOpsReport(ctx, auth, o.ID); err != nil {
				return fmt.Errorf("demo: operations report %s: %w", r.period, err)
			}
		}
	}
	db.Now = real
	if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
		return fmt.Errorf("demo: plan: checkpoint: %w", err)
	}
	return nil
}

func demoPlanItems() shuyu.PlanItems {
	return shuyu.PlanItems{
		Name:              "中卫市公共数据资源授权运营实施方案",
		Necessity:         "中卫市公共数据资源丰富，市场主体对人口、企业、社保、交通等数据的开发利用需求迫切；全市已建成政务数据共享平台和数据资源目录，具备开展授权运营的基础条件。",
		OperatorCriteria:  "市属国有独资或控股企业；具备数据安全管理制度和专业团队；近三年无重大数据安全事件；经竞争性方式遴选产生。",
		Mode:              "整体授权：将授权运营目录内的公共数据整体授权一家运营机构运营。",
		DataScope:         "授权运营目录内、已完成分类分级的公共数据；更新频率和质量要求以目录为准；禁止开放类数据不纳入。",
		Term:              "授权期限五年；第一年建成授权运营平台并上线首批数据产品，第三年开展中期评估；期满评估后决定续期或退出，平台和数据资产按协议移交。",
		Products:          "公共治理和公益事业类产品和服务免费提供；产业和行业发展类产品和服务按上限价格收取公共数据运营服务费。",
		Costs:             "授权运营单独核算；运营服务费按成本加合理利润定价，超出最高准许收入部分在下期扣减；收益按协议在市财政、数源部门和运营机构之间分配。",
		Security:          "原始数据不出域、数据可用不可见；开发利用在隔离环境中进行，结果经出域核查后方可交付；个人信息按最小必要原则处理。",
		RightsObligations: "运营机构按协议开展运营并接受监督，不得直接或间接参与已交付产品的再开发；数源部门按目录保障数据供给和质量。",
		Supervision:       "市数据局会同网信、公安、国家安全、保密等部门开展监督检查；运营机构按季度、年度报告运营情况，每年 3 月底前公开上一年度授权运营情况。",
		Other:             "本方案由市数据局负责解释，自备案之日起施行。",
	}
}
