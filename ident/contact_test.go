package ident

import "testing"

var mobileCases = []struct {
	in   string
	want string // normalized; "" when invalid
}{
	{"13800138000", "13800138000"},
	{"19912345678", "19912345678"},
	{"+8613800138000", "13800138000"},
	{"+86 138 0013 8000", "13800138000"},
	{"86-138-0013-8000", "13800138000"},
	{"008613800138000", "13800138000"},
	{" 138-0013-8000 ", "13800138000"},
	{"12800138000", ""},    // 12 is no mobile segment
	{"1380013800", ""},     // 10 digits
	{"138001380001", ""},   // 12 digits
	{"23800138000", ""},    // must start with 1
	{"+8513800138000", ""}, // another country
	{"+13800138000", ""},   // + needs 86
	{"1380013800O", ""},    // letter O
	{"138 0013 8000x", ""}, // trailing letter
	{"13+800138000", ""},   // + inside
	{"(0951)1234567", ""},  // landline
	{"", ""},
}

func TestValidMobile_R28_5(t *testing.T) {
	for _, c := range mobileCases {
		got, ok := NormalizeMobile(c.in)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
		if ValidMobile(c.in) != (c.want != "") {
			t.Errorf("ValidMobile(%q) = %v", c.in, !(c.want != ""))
		}
	}
}

func TestValidEmail_R18_2(t *testing.T) {
	tests := []struct {
		in    string
		valid bool
	}{
		{"zhangsan@zw.gov.cn", true},
		{"li.si+data@example.com.cn", true},
		{"a_b-c%d@sub-domain.example.org", true},
		{"x@y.cn", true},
		{"", false},
		{"@zw.gov.cn", false},
		{"zhangsan@", false},
		{"zhangsan@localhost", false},
		{"zhang san@zw.gov.cn", false},
		{"a@b@zw.gov.cn", false},
		{".a@zw.gov.cn", false},
		{"a.@zw.gov.cn", false},
		{"a..b@zw.gov.cn", false},
		{"a@-zw.gov.cn", false},
		{"a@zw-.gov.cn", false},
		{"a@zw..cn", false},
		{"a@zw.c", false},
		{"a@zw.c1", false},
		{"张三@zw.gov.cn", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.in); got != tt.valid {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.valid)
		}
	}
}

func FuzzValidMobile(f *testing.F) {
	for _, c := range mobileCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeMobile(s)
		if ok != ValidMobile(s) {
			t.Fatalf("NormalizeMobile and ValidMobile disagree on %q", s)
		}
		if ok {
			if len(n) != 11 || !allDigits(n) {
				t.Fatalf("NormalizeMobile(%q) = %q", s, n)
			}
			if n2, ok2 := NormalizeMobile(n); !ok2 || n2 != n {
				t.Fatalf("normal form %q does not validate to itself", n)
			}
		}
	})
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"zhangsan@zw.gov.cn", "a@b", "@", "a@b.cn.", "a@.cn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = ValidEmail(s) // must not panic on any input
	})
}
