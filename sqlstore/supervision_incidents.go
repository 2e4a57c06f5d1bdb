package sqlstore

import (
	"fmt"
	"time"

	"shuyu"
)

// incidentMetric is the operator evaluation's incident figure (R33.1 over
// the records of R28.2): the incidents detected in the year, read through
// tx.incident — the same code as the incident list and page — so "late"
// means what the pages show: notified (or reported) after the plan's
// deadline, or not yet and past it. "incidents" is their number (a penalty
// rule); "incident_deadlines" is the share of deadlines met among those
// that count (done, or past due), two per incident. The evidence names the
// count by level and the deadlines met and missed, and links each incident.
func (tx *Tx) incidentMetric(metric string, from, to time.Time) (float64, string, []shuyu.EvidenceLink, bool, error) {
	ids, err := tx.ids(`SELECT id FROM incidents WHERE detected_at >= ? AND detected_at < ? ORDER BY detected_at, id`, micros(from), micros(to))
	if err != nil {
		return 0, "", nil, false, err
	}
	if len(ids) == 0 {
		if metric == "incidents" {
			return 0, "本年度无安全事件", nil, true, nil
		}
		return 0, "本年度无安全事件", nil, false, nil
	}
	byLevel := map[string]int{}
	var links []shuyu.EvidenceLink
	var notifyOn, notifyLate, reportOn, reportLate int
	for _, id := range ids {
		i, err := tx.incident(id)
		if err != nil {
			return 0, "", nil, false, err
		}
		byLevel[i.Level]++
		links = append(links, shuyu.EvidenceLink{Label: fmt.Sprintf("%s（%s）", i.Title, shuyu.IncidentLabels[i.Level]),
			Href: fmt.Sprintf("/emergency/incidents/%d", i.ID)})
		// A deadline counts once met or missed; one still running does not.
		count := func(done *time.Time, late bool, on, missed *int) {
			switch {
			case late:
				*missed++
			case done != nil:
				*on++
			}
		}
		count(i.NotifiedAt, i.NotifyLate, &notifyOn, &notifyLate)
		count(i.ReportedAt, i.ReportLate, &reportOn, &reportLate)
	}
	ev := fmt.Sprintf("安全事件 %d 件（一般 %d、较大 %d、重大 %d）；按时报告主管部门 %d 件、超时 %d 件；按时提交书面报告 %d 件、超时 %d 件",
		len(ids), byLevel["general"], byLevel["major"], byLevel["severe"], notifyOn, notifyLate, reportOn, reportLate)
	if metric == "incidents" {
		return float64(len(ids)), ev, links, true, nil
	}
	n := notifyOn + notifyLate + reportOn + reportLate
	if n == 0 {
		return 0, ev + "（尚无到期的报告时限）", links, false, nil
	}
	return float64(notifyOn+reportOn) / float64(n), ev, links, true, nil
}
