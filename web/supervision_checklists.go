package web

import (
	"context"
	"fmt"

	"shuyu"
)

// supChecklistSection: the compliance checklists (R17.1) on the authority's
// dashboard — filled checklists passed and failed per kind, the version in
// force, and the output reviews waiting for their second reviewer (four
// eyes) as items due. The counts are the store's (DB.ChecklistStatistics).
func (s *Server) supChecklistSection(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error) {
	st, err := s.db.ChecklistStatistics(ctx, a)
	if err != nil {
		return nil, err
	}
	sec := &supervisionSection{ID: "sup-checklists", Title: "sup.section.checklists", Link: "/oversight/checklists",
		Figures: []supFigure{}, Due: []supDue{}}
	chart := supChart{ID: "sup-chart-checklists", Title: "sup.chart.checklists", Kind: "bar", LabelKeys: true,
		Cols: []string{"sup.col.checklist_kind", "sup.col.checklist_passed", "sup.col.checklist_failed"}}
	passed, failed, unapproved := 0, 0, 0
	for _, k := range st.Kinds {
		passed += k.Passed
		failed += k.Failed
		if k.Version == 0 {
			unapproved++
		}
		chart.Rows = append(chart.Rows, supRow{Label: "checklist.kind." + string(k.Kind), Vals: []int{k.Passed, k.Failed}})
	}
	sec.Figures = append(sec.Figures,
		supFigure{Label: "sup.fig.checklists_passed", Value: fmt.Sprint(passed)},
		supFigure{Label: "sup.fig.checklists_failed", Value: fmt.Sprint(failed)},
		supFigure{Label: "sup.fig.second_reviews", Value: fmt.Sprint(len(st.SecondReviews)), Warn: len(st.SecondReviews) > 0},
		supFigure{Label: "sup.fig.checklists_unapproved", Value: fmt.Sprint(unapproved), Warn: unapproved > 0},
	)
	sec.Charts = append(sec.Charts, chart)
	for _, w := range st.SecondReviews {
		sec.Due = append(sec.Due, supDue{Kind: "sup.due.second_review", Title: w.Name + " · " + w.OrgName + " · " + w.FirstReviewer,
			Link: fmt.Sprintf("/output/products/%d", w.ProductID)})
	}
	return sec, nil
}
