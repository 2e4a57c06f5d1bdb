package catalogxlsx

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Table writes one sheet with a bold header row and the given rows: the
// export of every list page (web/ui_list.go). Every cell is text, as in
// the catalog workbook (codes like "0201" stay codes); a sheet name is cut to Excel's 31 characters and
// stripped of the characters Excel refuses.
func Table(w io.Writer, sheet string, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet = strings.NewReplacer(":", "", "\\", "", "/", "", "?", "", "*", "", "[", "", "]", "").Replace(sheet)
	if r := []rune(sheet); len(r) > 31 {
		sheet = string(r[:31])
	}
	if sheet == "" {
		sheet = "Sheet1"
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := setRow(f, sheet, 1, toAny(header)); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if len(header) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(header), 1)
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return err
		}
		end, _ := excelize.ColumnNumberToName(len(header))
		_ = f.SetColWidth(sheet, "A", end, 18)
	}
	for i, row := range rows {
		if err := setRow(f, sheet, i+2, row); err != nil {
			return err
		}
	}
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	return f.Write(w)
}
