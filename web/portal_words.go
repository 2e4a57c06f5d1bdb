package web

import (
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// Words for people: requirement IDs stay in code, tests and docs; a page
// names the article of the measures instead, and shows code a user may
// type (SQL) as code, not as prose.

var portalReqID = regexp.MustCompile(`\bR(\d{1,2})\.\d+\b`)

// portalBasis turns requirement IDs ("R28.3 R24.1") into the articles of
// the city's measures they come from: "《管理办法》第二十八条、第二十四条"
// (English: "Measures Art. 28, 24"). Text without IDs is returned as is.
func portalBasis(lang, ids string) string {
	var arts []int
	for _, m := range portalReqID.FindAllStringSubmatch(ids, -1) {
		n, _ := strconv.Atoi(m[1])
		if n > 0 && !containsInt(arts, n) {
			arts = append(arts, n)
		}
	}
	if len(arts) == 0 {
		return ids
	}
	parts := make([]string, len(arts))
	for i, n := range arts {
		if lang == "en" {
			parts[i] = strconv.Itoa(n)
		} else {
			parts[i] = "第" + zhNumber(n) + "条"
		}
	}
	if lang == "en" {
		return "Measures Art. " + strings.Join(parts, ", ")
	}
	return "《管理办法》" + strings.Join(parts, "、")
}

func containsInt(s []int, n int) bool {
	for _, v := range s {
		if v == n {
			return true
		}
	}
	return false
}

// zhNumber writes 1…99 in Chinese numerals as article numbers are written
// (十二, 二十八); other numbers in digits.
func zhNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + digits[n%10]
	default:
		return digits[n/10] + "十" + digits[n%10]
	}
}

// portalCode renders a plain text in which code is quoted with backticks
// (`count(DISTINCT …)`) as HTML with <code> spans; everything is escaped.
func portalCode(s string) template.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
			continue
		}
		if i%2 == 1 { // an unpaired backtick: keep it
			b.WriteString("`")
		}
		b.WriteString(template.HTMLEscapeString(p))
	}
	return template.HTML(b.String())
}
