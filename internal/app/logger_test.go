package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// TestLogsAreUTC: a host in another zone still logs UTC, the line's own
// timestamp and time fields (watermarks) alike.
func TestLogsAreUTC(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	defer func() { time.Local = saved }()
	for _, format := range []string{"json", "console"} {
		var buf bytes.Buffer
		log, _, err := NewLogger(config.Log{Level: "info", Format: format}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		wm := time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local)
		log.Info("x", zap.Time("watermark", wm))
		out := buf.String()
		if strings.Contains(out, "+05:00") || !strings.Contains(out, "2026-11-26T22:00:00") {
			t.Fatalf("%s log line not in UTC: %s", format, out)
		}
		stamp := strings.Fields(out)[0]
		if format == "json" {
			stamp, _, _ = strings.Cut(out[strings.Index(out, `"time":"`)+8:], `"`)
		}
		if !strings.HasSuffix(stamp, "Z") {
			t.Fatalf("%s line timestamp not UTC: %s", format, out)
		}
	}
}
