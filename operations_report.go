package shuyu

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// The operator's periodic operations report to the authority (R32.1):
// quarterly ("2026-Q1") and yearly ("2026"). The platform generates it
// from the records of the period when the operator submits it; the
// authority acknowledges it. The merchant onboarding report (R18.3) is one
// section of it.

// Operations report statuses.
const (
	OpsReportSubmitted    = "submitted"
	OpsReportAcknowledged = "acknowledged"
)

// OpsReportMachine: submitted → acknowledged.
var OpsReportMachine = Machine{Name: "运营情况报告", Table: map[string]map[string]string{
	OpsReportSubmitted: {"acknowledge": OpsReportAcknowledged},
}}

var opsPeriodRE = regexp.MustCompile(`^(\d{4})(?:-Q([1-4]))?$`)

// OpsPeriod parses a period: "2026" (the year) or "2026-Q1" … "2026-Q4",
// and returns its first day and the first day after it, in zone.
func OpsPeriod(p string, zone *time.Location) (from, to time.Time, err error) {
	m := opsPeriodRE.FindStringSubmatch(p)
	if m == nil {
		return from, to, Errorf(EINVALID, "报告期间须为“2026”或“2026-Q1”的形式 (period must be YYYY or YYYY-Qn)").
			WithDetails([]FieldError{{Field: "period", Message: "须为年度（2026）或季度（2026-Q1）"}})
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 9999 {
		return from, to, Errorf(EINVALID, "报告年度无效 (bad year)").WithDetails([]FieldError{{Field: "period", Message: "年度无效"}})
	}
	if m[2] == "" {
		from = time.Date(y, 1, 1, 0, 0, 0, 0, zone)
		return from, from.AddDate(1, 0, 0), nil
	}
	q, _ := strconv.Atoi(m[2])
	from = time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, zone)
	return from, from.AddDate(0, 3, 0), nil
}

// OpsPeriodLabel is the period in Chinese: 2026年 or 2026年第1季度.
func OpsPeriodLabel(p string) string {
	m := opsPeriodRE.FindStringSubmatch(p)
	if m == nil {
		return p
	}
	if m[2] == "" {
		return m[1] + "年"
	}
	return fmt.Sprintf("%s年第%s季度", m[1], m[2])
}

// OpsReportContent is what the report says about its period.
type OpsReportContent struct {
	Period       string               `json:"period"`
	From         string               `json:"from"` // YYYY-MM-DD
	To           string               `json:"to"`   // YYYY-MM-DD inclusive
	AsOf         time.Time            `json:"as_of"`
	Usage        DisclosureUsage      `json:"usage"`
	Applications []DisclosureCount    `json:"applications"`
	Complaints   DisclosureComplaints `json:"complaints"`
	Products     int                  `json:"products_released"` // products released in the period
	BilledFen    int64                `json:"billed_fen"`        // statements issued in the period, total
	Merchants    *MerchantReport      `json:"merchants"`         // the onboarding section (R18.3)
}

// OpsReport is one submitted report.
type OpsReport struct {
	ID             int64             `json:"id"`
	OperatorOrgID  int64             `json:"operator_org_id"`
	OperatorName   string            `json:"operator_name"`
	Period         string            `json:"period"`
	Content        *OpsReportContent `json:"content"`
	DigestSM3      string            `json:"digest_sm3"`
	Status         string            `json:"status"`
	SubmittedBy    string            `json:"submitted_by"`
	SubmittedAt    time.Time         `json:"submitted_at"`
	AcknowledgedBy string            `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at,omitempty"`
}

// Actions on operations reports.
const (
	ActOpsReportSubmit Action = "ops_report.submit"
	ActOpsReportAck    Action = "ops_report.acknowledge"
	ActOpsReportRead   Action = "ops_report.read"
)
