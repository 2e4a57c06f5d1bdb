package shuyu

import (
	"fmt"
	"time"
)

// The annual disclosure (年度信息披露, R32.1, NDIS.1, NIMP.5). Each year, by
// 31 March, the previous year's disclosure is published on the portal: the
// implementing body's details, the authorization (object, content, scope,
// term), the caps and prices, the operator's details, the authorized
// resources, the products and services with their actual prices, how the
// resources were used, the applications and their outcomes and the
// complaints. The content is generated from the live records
// (sqlstore/disclosure_annual.go), reviewed by the authority and frozen on
// publication; a published year is never regenerated.

// Disclosure statuses.
const (
	DisclosureDraft     = "draft"     // generated, under the authority's review
	DisclosurePublished = "published" // on the portal, frozen
)

// DisclosureMachine: a draft may be regenerated from the live records any
// number of times and is published once; a published year stays.
var DisclosureMachine = Machine{Name: "年度信息披露", Table: map[string]map[string]string{
	DisclosureDraft: {"regenerate": DisclosureDraft, "publish": DisclosurePublished},
}}

// DisclosureDueMonth and DisclosureDueDay: the disclosure of a year is due
// by the end of March of the next year (NDIS.1).
const (
	DisclosureDueMonth = time.March
	DisclosureDueDay   = 31
	// DisclosureSoonWorkdays: the second reminder when this many working
	// days are left before the due day.
	DisclosureSoonWorkdays = 10
)

// DisclosureDue is the last day (YYYY-MM-DD) to publish the disclosure of year.
func DisclosureDue(year int) string {
	return fmt.Sprintf("%04d-%02d-%02d", year+1, int(DisclosureDueMonth), DisclosureDueDay)
}

// Actions on the annual disclosure.
const (
	ActDisclosureDraft   Action = "disclosure.draft"   // generate (or regenerate) a year's draft
	ActDisclosurePublish Action = "disclosure.publish" // review and publish it
	ActDisclosureRead    Action = "disclosure.read"    // read drafts (published years are public)
)

// AnnualDisclosure is one year's disclosure record.
type AnnualDisclosure struct {
	Year        int                `json:"year"`
	Status      string             `json:"status"`
	Content     *DisclosureContent `json:"content"`
	DigestSM3   string             `json:"digest_sm3"` // SM3 of the content as stored, hex
	Due         string             `json:"due"`        // YYYY-MM-DD, NDIS.1
	GeneratedAt time.Time          `json:"generated_at"`
	GeneratedBy string             `json:"generated_by"`
	PublishedAt *time.Time         `json:"published_at,omitempty"`
	PublishedBy string             `json:"published_by,omitempty"`
	// Intact (published years): the stored content hashes to its digest
	// and that digest is the one the audited publication recorded — an
	// edit of the stored disclosure after publication shows as false.
	Intact bool `json:"intact"`
}

// DisclosureSummary is one year in the list of disclosures.
type DisclosureSummary struct {
	Year        int        `json:"year"`
	Status      string     `json:"status"`
	Due         string     `json:"due"`
	DigestSM3   string     `json:"digest_sm3"`
	GeneratedAt time.Time  `json:"generated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// DisclosureContent is what is disclosed for a year. Every figure is taken
// from the records at AsOf (for the period From–To, Beijing days).
type DisclosureContent struct {
	Year           int                       `json:"year"`
	From           string                    `json:"from"` // YYYY-MM-DD
	To             string                    `json:"to"`   // YYYY-MM-DD inclusive
	AsOf           time.Time                 `json:"as_of"`
	Body           DisclosureOrg             `json:"body"`     // the implementing body (实施机构)
	Operator       DisclosureOrg             `json:"operator"` // the operator (运营机构)
	Authorizations []DisclosureAuthorization `json:"authorizations"`
	Allowed        *DisclosureAllowed        `json:"allowed,omitempty"` // the maximum allowed revenue, when approved
	Prices         []DisclosurePrice         `json:"prices"`            // caps and prices in force at the year's end
	Resources      []DisclosureResource      `json:"resources"`         // the authorized resources and their use
	Products       []DisclosureProduct       `json:"products"`          // products released by the year's end
	Usage          DisclosureUsage           `json:"usage"`
	Applications   []DisclosureCount         `json:"applications"` // received in the year, by status now
	Complaints     DisclosureComplaints      `json:"complaints"`
	Revenue        *DisclosureRevenue        `json:"revenue,omitempty"` // when the year is closed
}

// DisclosureOrg is a party's public details.
type DisclosureOrg struct {
	Name   string `json:"name"`
	Code   string `json:"code"` // 统一社会信用代码
	Region string `json:"region"`
}

// DisclosureAuthorization is an authorization in force during the year:
// its object, content, scope and term (NIMP.5).
type DisclosureAuthorization struct {
	Number       string   `json:"number"`
	Title        string   `json:"title"`
	Object       string   `json:"object"`
	Content      string   `json:"content"`
	Mode         AuthMode `json:"mode"`
	Scope        []string `json:"scope"`
	TermStart    string   `json:"term_start"`
	TermEnd      string   `json:"term_end"`
	LastDay      string   `json:"last_day"`
	FilingNumber string   `json:"filing_number,omitempty"`
}

// DisclosureAllowed is the year's newest approved maximum revenue (NPRC.2).
type DisclosureAllowed struct {
	MaxRevenueFen int64  `json:"max_revenue_fen"`
	ApprovalRef   string `json:"approval_ref"`
	Version       int    `json:"version"`
}

// DisclosurePrice is a catalogue item's cap and price in force at the
// year's end (NPRC.3, NPRC.5).
type DisclosurePrice struct {
	Name        string `json:"name"`
	Service     string `json:"service"`
	ProductName string `json:"product_name,omitempty"`
	Class       string `json:"class"`
	Unit        string `json:"unit"`
	Free        bool   `json:"free"`
	CapFen      int64  `json:"cap_fen"`
	PriceFen    int64  `json:"price_fen"`
	PriceSet    bool   `json:"price_set"`
	TrialUntil  string `json:"trial_until,omitempty"`
}

// DisclosureResource is one authorized catalog entry and its use in the year.
type DisclosureResource struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Covered    string `json:"covered"`    // which authorization covers it, and how
	Workspaces int    `json:"workspaces"` // workspaces granted it that were open during the year
	Queries    int    `json:"queries"`    // governed queries over real data in those workspaces in the year
	Products   int    `json:"products"`   // released products built from it
}

// DisclosureProduct is a product released by the year's end, with the
// prices in force then.
type DisclosureProduct struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Scenario   string            `json:"scenario"`
	Merchant   string            `json:"merchant"`
	FilingNo   string            `json:"filing_no"`
	ReleasedOn string            `json:"released_on"`
	Deliveries int               `json:"deliveries"` // in the year
	Prices     []DisclosurePrice `json:"prices"`
}

// DisclosureUsage: how the resources were used in the year.
type DisclosureUsage struct {
	Workspaces    int   `json:"workspaces"`     // open at some time in the year
	Queries       int   `json:"queries"`        // governed queries over real data
	Released      int   `json:"released"`       // of which released
	Deliveries    int   `json:"deliveries"`     // product deliveries
	DeliveredRows int64 `json:"delivered_rows"` // rows delivered
	APICalls      int   `json:"api_calls"`      // API-service calls answered
}

// DisclosureCount is a count under a label (a status).
type DisclosureCount struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// DisclosureComplaints: merchants' complaints about data quality (R11.1),
// disputes of charges and objections to registrations, raised in the year.
type DisclosureComplaints struct {
	Quality          int `json:"quality"`
	QualityResolved  int `json:"quality_resolved"` // fixed or closed
	Disputes         int `json:"disputes"`
	DisputesUpheld   int `json:"disputes_upheld"`
	DisputesRejected int `json:"disputes_rejected"`
	Objections       int `json:"objections"`
}

// DisclosureRevenue is the closed year's revenue against its maximum (NPRC.5).
type DisclosureRevenue struct {
	RevenueFen    int64 `json:"revenue_fen"`
	MaxRevenueFen int64 `json:"max_revenue_fen"`
	ExcessFen     int64 `json:"excess_fen"`
}
