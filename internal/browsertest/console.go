package browsertest

import (
	"fmt"
	"sync"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// WatchConsole starts collecting the page's JavaScript errors — uncaught
// exceptions and console.error calls — and returns a function that lists
// those seen so far. Call it before navigating to the pages under test.
func (b *Browser) WatchConsole() func() []string {
	var mu sync.Mutex
	var errs []string
	err := chromedp.Listen(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			mu.Lock()
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
				msg += ": " + e.ExceptionDetails.Exception.Description
			}
			errs = append(errs, fmt.Sprintf("exception at %s:%d: %s", e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber, msg))
			mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			mu.Lock()
			var parts []any
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			errs = append(errs, fmt.Sprint(append([]any{"console.error:"}, parts...)...))
			mu.Unlock()
		}
	})
	if err != nil {
		b.t.Fatalf("watch the console: %v", err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}
