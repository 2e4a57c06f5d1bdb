package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
)

// disclosureRoutes: the annual disclosure (R32.1, NDIS.1, NIMP.5) — a
// year's draft generated from the live records by the authority or the
// operator, published by the authority, public (anonymous JSON, page,
// .xlsx, printable) once published. Pages in disclosure_annual_pages.go.
func (s *Server) disclosureRoutes() {
	s.handle("GET", "/api/v1/disclosures", onCollection(s.optionalActor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]shuyu.DisclosureSummary, error) {
		return s.db.Disclosures(ctx, a)
	}))
	s.handle("GET", "/api/v1/disclosures/{year}", jsonRoute[noBody, *shuyu.AnnualDisclosure](http.StatusOK, s.apiDisclosure).orFile(xlsxType))
	s.handle("POST", "/api/v1/disclosures/{year}/generate", commandOnKey(s.actor, "year", func(ctx context.Context, a *shuyu.Actor, key string, _ noBody) (*shuyu.AnnualDisclosure, error) {
		year, err := disclosureYear(key)
		if err != nil {
			return nil, err
		}
		return s.db.GenerateDisclosure(ctx, a, year)
	}))
	s.handle("POST", "/api/v1/disclosures/{year}/publish", commandOnKey(s.actor, "year", func(ctx context.Context, a *shuyu.Actor, key string, in disclosurePublish) (*shuyu.AnnualDisclosure, error) {
		year, err := disclosureYear(key)
		if err != nil {
			return nil, err
		}
		return s.db.PublishDisclosure(ctx, a, year, in.DigestSM3)
	}))
	s.disclosurePages()
	s.auditLink("disclosure", "/disclosures/%s", "")
}

// disclosurePublish names the draft the authority reviewed by its digest.
type disclosurePublish struct {
	DigestSM3 string `json:"digest_sm3"`
}

// disclosureYear parses a year in a path; anything else is not found.
func disclosureYear(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < 1900 || y > 9999 {
		return 0, shuyu.Errorf(shuyu.ENOTFOUND, "年度信息披露不存在 (not found)")
	}
	return y, nil
}

// apiDisclosure answers a year's disclosure as JSON, or as .xlsx with
// ?format=xlsx. Anonymous callers get only published years.
func (s *Server) apiDisclosure(w http.ResponseWriter, r *http.Request) error {
	a, err := s.optionalActor(r)
	if err != nil {
		return err
	}
	year, err := disclosureYear(r.PathValue("year"))
	if err != nil {
		return err
	}
	d, err := s.db.Disclosure(r.Context(), a, year)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return s.writeDisclosureXLSX(w, "zh", d)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
