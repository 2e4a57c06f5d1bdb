package shuyu

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The register of pre-existing channels (R15.1): the ways public data was
// provided before the platform (a department's own interface, file
// exchanges, another platform). The authority registers each, assesses it
// and decides to fold it into the platform or to close it, so the platform
// is demonstrably the single channel for authorized operation.

// Channel statuses.
const (
	ChannelOpen     = "open"     // registered, not yet assessed
	ChannelAssessed = "assessed" // assessed, decision pending
	ChannelFolded   = "folded"   // folded into the platform
	ChannelClosed   = "closed"   // closed
)

// ChannelStatuses lists the statuses in order.
var ChannelStatuses = []string{ChannelOpen, ChannelAssessed, ChannelFolded, ChannelClosed}

// Channel decisions.
const (
	ChannelFoldIn = "fold_in"
	ChannelClose  = "close"
)

// ChannelMachine: open → assessed (with the assessment; again while
// assessed) → folded or closed (the decision).
var ChannelMachine = Machine{Name: "原有数据提供渠道", Table: map[string]map[string]string{
	ChannelOpen:     {"assess": ChannelAssessed},
	ChannelAssessed: {"assess": ChannelAssessed, ChannelFoldIn: ChannelFolded, ChannelClose: ChannelClosed},
}}

// ChannelInput registers a channel.
type ChannelInput struct {
	Name        string `json:"name"`
	Holder      string `json:"holder"` // who runs it
	Description string `json:"description"`
}

// Validate checks the three texts.
func (in *ChannelInput) Validate() error {
	var errs []FieldError
	for _, f := range []struct {
		name string
		v    *string
		min  int
		max  int
		msg  string
	}{{"name", &in.Name, 2, 100, "渠道名称应为 2 到 100 个字"}, {"holder", &in.Holder, 2, 100, "运行单位应为 2 到 100 个字"},
		{"description", &in.Description, 4, 4000, "渠道说明应为 4 到 4000 个字"}} {
		*f.v = strings.TrimSpace(*f.v)
		if n := utf8.RuneCountInString(*f.v); n < f.min || n > f.max {
			errs = append(errs, FieldError{Field: f.name, Message: f.msg})
		}
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "渠道信息不完整 (invalid channel)").WithDetails(errs)
	}
	return nil
}

// Channel is one registered channel.
type Channel struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Holder      string    `json:"holder"`
	Description string    `json:"description"`
	Assessment  string    `json:"assessment,omitempty"`
	Decision    string    `json:"decision,omitempty"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ChannelSummary is the public count of channels by status.
type ChannelSummary struct {
	Total    int `json:"total"`
	Open     int `json:"open"`
	Assessed int `json:"assessed"`
	Folded   int `json:"folded"`
	Closed   int `json:"closed"`
}

// Actions on the channels register.
const (
	ActChannelManage Action = "channel.manage" // register, assess, decide
	ActChannelRead   Action = "channel.read"
)
