package shuyu

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// Role is what an account may do. Business roles act in the workflows of the
// measures; the three administrator roles (三员: system, security, audit)
// run the platform and are kept apart from each other and from business
// (MLPS level 3, R29.1).
type Role string

const (
	RoleAuthority        Role = "authority"         // 市数据局 staff
	RoleCountyAuthority  Role = "county_authority"  // 县(区)数据局 staff
	RoleDept             Role = "dept"              // 数源部门 staff
	RoleOperatorAdmin    Role = "operator_admin"    // 运营机构 manager
	RoleOperatorReviewer Role = "operator_reviewer" // 运营机构 compliance reviewer
	RoleMerchant         Role = "merchant"          // 数据商 staff
	RoleExpert           Role = "expert"            // 专家委员会 member
	RoleRegulator        Role = "regulator"         // supervising agency, read-only
	RoleServiceProvider  Role = "service_provider"  // 第三方专业服务机构 staff
	RoleSysAdmin         Role = "sysadmin"          // 系统管理员: runs the system, no accounts, no trail
	RoleSecAdmin         Role = "secadmin"          // 安全管理员: accounts, roles, security policy
	RoleAuditAdmin       Role = "auditadmin"        // 审计管理员: reads and verifies the trail only
)

// Roles lists every role in display order.
var Roles = []Role{RoleAuthority, RoleCountyAuthority, RoleDept, RoleOperatorAdmin,
	RoleOperatorReviewer, RoleMerchant, RoleExpert, RoleRegulator, RoleServiceProvider,
	RoleSysAdmin, RoleSecAdmin, RoleAuditAdmin}

// roleOrgKind says in which kind of organization a role can be held: a
// merchant's staff cannot be made reviewers, a department cannot hold the
// authority's role.
var roleOrgKind = map[Role]OrgKind{
	RoleAuthority:        OrgAuthority,
	RoleCountyAuthority:  OrgCountyAuthority,
	RoleDept:             OrgSourceDept,
	RoleOperatorAdmin:    OrgOperator,
	RoleOperatorReviewer: OrgOperator,
	RoleMerchant:         OrgMerchant,
	RoleExpert:           OrgExpertCommittee,
	RoleRegulator:        OrgRegulator,
	RoleServiceProvider:  OrgServiceProvider,
	RoleSysAdmin:         OrgOperator,
	RoleSecAdmin:         OrgOperator,
	RoleAuditAdmin:       OrgOperator,
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleOrgKind[r]; return ok }

// IsAdmin reports whether r is one of the three administrator roles.
func (r Role) IsAdmin() bool {
	return r == RoleSysAdmin || r == RoleSecAdmin || r == RoleAuditAdmin
}

// OrgKind returns the kind of organization the role belongs to.
func (r Role) OrgKind() OrgKind { return roleOrgKind[r] }

// ValidateRoles enforces separation of duties (三员分立, R29.1): an account
// holds either exactly one administrator role or business roles only, and
// every role must fit the kind of its organization. Making the combination
// unstorable is simpler than checking each action for it later.
func ValidateRoles(kind OrgKind, roles []Role) error {
	if len(roles) == 0 {
		return Errorf(EINVALID, "至少需要一个角色 (at least one role)")
	}
	seen := map[Role]bool{}
	admins := 0
	for _, r := range roles {
		if !r.Valid() {
			return Errorf(EINVALID, "未知角色 %q (unknown role)", r)
		}
		if seen[r] {
			return Errorf(EINVALID, "角色 %q 重复 (duplicate role)", r)
		}
		seen[r] = true
		if r.IsAdmin() {
			admins++
		}
		if r.OrgKind() != kind {
			return Errorf(EINVALID, "角色 %q 不属于该类型机构 (role does not fit organization kind %s)", r, kind)
		}
	}
	if admins > 0 && len(roles) > 1 {
		return Errorf(EINVALID, "三员分立：系统管理员、安全管理员、审计管理员须各自独立，不得兼任其他角色 (separation of duties)")
	}
	return nil
}

// User is an account. Secrets (password hash, TOTP secret) never leave the
// store in this type's JSON.
type User struct {
	ID           int64      `json:"id"`
	OrgID        int64      `json:"org_id"`
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Roles        []Role     `json:"roles"`
	Status       string     `json:"status"` // active, disabled
	TOTPEnabled  bool       `json:"totp_enabled"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	FailedLogins int        `json:"failed_logins"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// HasRole reports whether u holds r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// ValidUsername: 3-64 characters of ASCII letters, digits, '-', '_', '.'.
// Unique account names are an MLPS control; a small alphabet keeps them
// unambiguous (no look-alike Unicode).
func ValidUsername(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// PasswordPolicy is the MLPS level-3 complexity rule: at least 10
// characters with at least three of upper case, lower case, digits and
// symbols, and not containing the username.
func PasswordPolicy(username, password string) error {
	if len(password) > 128 {
		return Errorf(EPASSWORDPOLICY, "密码不得超过 128 个字符 (password too long)")
	}
	if len([]rune(password)) < 10 {
		return Errorf(EPASSWORDPOLICY, "密码至少 10 个字符，且包含大写字母、小写字母、数字、符号中的至少三类 (at least 10 characters, three character classes)")
	}
	var up, low, dig, sym bool
	for _, c := range password {
		switch {
		case unicode.IsUpper(c):
			up = true
		case unicode.IsLower(c):
			low = true
		case unicode.IsDigit(c):
			dig = true
		default:
			sym = true
		}
	}
	n := 0
	for _, b := range []bool{up, low, dig, sym} {
		if b {
			n++
		}
	}
	if n < 3 {
		return Errorf(EPASSWORDPOLICY, "密码须包含大写字母、小写字母、数字、符号中的至少三类 (three character classes)")
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		return Errorf(EPASSWORDPOLICY, "密码不得包含用户名 (password contains the username)")
	}
	return nil
}

// Security settings with their MLPS level-3 defaults. The security
// administrator can tighten them; Lockout and idle limits have floors.
const (
	MaxFailedLogins = 5                // failed attempts before the lock
	LockoutDuration = 30 * time.Minute // how long the lock lasts
	SessionIdle     = 30 * time.Minute // a session ends after this much inactivity
	SessionMaxAge   = 12 * time.Hour   // and in any case after this long
)
