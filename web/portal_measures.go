package web

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// The city's measures (中卫市公共数据资源授权运营管理办法(试行)) as a readable
// page of the portal's 政策法规. The text is the one the requirements cite
// (docs/requirements/zhongwei-measures.txt, copied here to be embedded); it
// was extracted from a PDF, so it is parsed once into chapters and
// articles, the page numbers ("- 2 -") dropped and the line-wrap spaces
// between Chinese characters closed.

//go:embed portal/zhongwei-measures.txt
var measuresText string

type measuresArticle struct {
	No   string // 第一条
	Text string
}

type measuresChapter struct {
	Title    string // 第一章 总则
	Articles []measuresArticle
}

type measuresDoc struct {
	Title    string
	Chapters []measuresChapter
}

var (
	measuresPageNo    = regexp.MustCompile(`-\s*\d+\s*-`)
	measuresChapterRe = regexp.MustCompile(`第[一二三四五六七八九十]+章\s*\S+`)
	measuresArticleRe = regexp.MustCompile(`第[一二三四五六七八九十]+条`)
)

// measuresClose removes spaces between two Chinese characters or
// punctuation marks (a PDF's line wraps), keeping those next to digits.
func measuresClose(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && !isASCIIDigit(rs[i-1]) && !isASCIIDigit(rs[i+1]) &&
			(rs[i-1] > unicode.MaxASCII || rs[i+1] > unicode.MaxASCII) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

var measures = sync.OnceValue(func() measuresDoc {
	lines := strings.SplitN(strings.TrimSpace(measuresText), "\n", 2)
	doc := measuresDoc{Title: strings.TrimSpace(lines[0])}
	body := measuresPageNo.ReplaceAllString(lines[len(lines)-1], " ")
	body = strings.Join(strings.Fields(body), " ")
	if i := strings.Index(body, "第一章"); i > 0 {
		body = body[i:]
	}
	heads := measuresChapterRe.FindAllStringIndex(body, -1)
	for ci, h := range heads {
		end := len(body)
		if ci+1 < len(heads) {
			end = heads[ci+1][0]
		}
		ch := measuresChapter{Title: measuresClose(strings.Replace(body[h[0]:h[1]], "章", "章 ", 1))}
		part := body[h[1]:end]
		arts := measuresArticleRe.FindAllStringIndex(part, -1)
		for ai, a := range arts {
			aend := len(part)
			if ai+1 < len(arts) {
				aend = arts[ai+1][0]
			}
			ch.Articles = append(ch.Articles, measuresArticle{No: part[a[0]:a[1]], Text: measuresClose(part[a[1]:aend])})
		}
		doc.Chapters = append(doc.Chapters, ch)
	}
	return doc
})
