package workday

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"shuyu"
)

const cliHelp = `用法 (usage): shuyu calendar <命令>
  due YYYY-MM-DD N   受理日之后第 N 个工作日（期限当日24时截止）
                     deadline: the N-th working day after acceptance (ends 24:00 +08)
  list YEAR          列出该年法定节假日与调休上班日
                     list the year's holidays and make-up working days
  is YYYY-MM-DD      是否工作日，及节日名称
                     whether the date is a working day, with the holiday name
  help               显示本帮助 (show this help)
日期按北京时间计 (dates are in Asia/Shanghai).
`

// RunCLI runs the `shuyu calendar` subcommand. args excludes "calendar";
// extra are schedule additions (as for New). It returns the exit code: 0
// done, 1 the answer cannot be given (e.g. a year's schedule is missing),
// 2 usage error.
func RunCLI(args []string, stdout, stderr io.Writer, extra []Day) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, cliHelp)
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, format+"\n\n", a...)
		fmt.Fprint(stderr, cliHelp)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, cliHelp)
		return 0
	case "due", "list", "is":
	default:
		return usage("未知命令 %q (unknown command)", cmd)
	}
	want := map[string]int{"due": 2, "list": 1, "is": 1}[cmd]
	if len(rest) != want {
		return usage("%s 需要 %d 个参数 (%s takes %d arguments)", cmd, want, cmd, want)
	}
	c, err := New(extra...)
	if err != nil {
		fmt.Fprintf(stderr, "节假日数据有误 (bad calendar data): %v\n", describe(err))
		return 1
	}
	switch cmd {
	case "due":
		day, err := time.ParseInLocation(time.DateOnly, rest[0], Zone)
		if err != nil {
			return usage("日期 %q 无效，应为 YYYY-MM-DD (bad date)", rest[0])
		}
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 {
			return usage("工作日天数 %q 须为正整数 (N must be a positive integer)", rest[1])
		}
		due, err := c.Due(day, n)
		if err != nil {
			fmt.Fprintln(stderr, describe(err))
			return 1
		}
		fmt.Fprintln(stdout, due.Format(time.DateOnly))
	case "list":
		year, err := strconv.Atoi(rest[0])
		if err != nil || year < 1 || year > 9999 {
			return usage("年份 %q 无效 (bad year)", rest[0])
		}
		if !c.Covered(year) {
			fmt.Fprintf(stderr, "缺少 %d 年的法定节假日安排 (calendar for year %d is missing)\n", year, year)
			return 1
		}
		for _, d := range c.Days(year) {
			fmt.Fprintf(stdout, "%s  %s  %s\n", d.Date, kindLabel(d.Kind), d.Name)
		}
	case "is":
		day, err := time.ParseInLocation(time.DateOnly, rest[0], Zone)
		if err != nil {
			return usage("日期 %q 无效，应为 YYYY-MM-DD (bad date)", rest[0])
		}
		fmt.Fprintln(stdout, describeDay(c, day))
	}
	return 0
}

func kindLabel(k DayKind) string {
	// Equal display widths keep the names aligned in a terminal.
	if k == Workday {
		return "上班 workday"
	}
	return "放假 holiday"
}

func describeDay(c *Calendar, day time.Time) string {
	date := day.Format(time.DateOnly)
	wd := weekdayZH[day.Weekday()]
	d, listed := c.Lookup(day)
	var s string
	switch {
	case listed && d.Kind == Workday:
		s = fmt.Sprintf("%s %s 工作日，%s调休上班 (workday, make-up for %s)", date, wd, d.Name, d.Name)
	case listed:
		s = fmt.Sprintf("%s %s 非工作日，%s放假 (holiday: %s)", date, wd, d.Name, d.Name)
	case c.IsWorkday(day):
		s = fmt.Sprintf("%s %s 工作日 (workday)", date, wd)
	default:
		s = fmt.Sprintf("%s %s 非工作日，周末 (weekend)", date, wd)
	}
	if !c.Covered(day.Year()) {
		s += fmt.Sprintf("；注意：缺少 %d 年安排，仅按周末判断 (no %d schedule: weekends only)", day.Year(), day.Year())
	}
	return s
}

// describe gives the person-facing message of err plus any field problems.
func describe(err error) string {
	var e *shuyu.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	s := e.Message
	if fe, ok := e.Details.([]shuyu.FieldError); ok {
		for _, f := range fe {
			s += "\n  " + f.Field + ": " + f.Message
		}
	}
	return s
}
