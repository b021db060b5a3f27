package app

import (
	"io"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// NewLogger builds the zap logger the config asks for, writing to w. Every
// time it writes is UTC, whatever the host's zone (DESIGN.md "UTC
// everywhere"): timestamps of log lines and time fields alike.
func NewLogger(c config.Log, w io.Writer) (*zap.Logger, zap.AtomicLevel, error) {
	level, err := zap.ParseAtomicLevel(c.Level)
	if err != nil {
		return nil, level, err
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "time"
	ec.EncodeTime = utcTime(time.RFC3339Nano)
	ec.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	if c.Format == "console" {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		ec.EncodeTime = utcTime("2006-01-02T15:04:05.000Z07:00")
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		enc = zapcore.NewJSONEncoder(ec)
	}
	// Runs log from many goroutines; w (a terminal filter, a test's
	// buffer) need not be safe for concurrent writes.
	out := zapcore.Lock(zapcore.AddSync(w))
	core := zapcore.NewCore(enc, out, level)
	return zap.New(core, zap.ErrorOutput(out)), level, nil
}

// utcTime encodes times in UTC with layout.
func utcTime(layout string) zapcore.TimeEncoder {
	return func(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
		enc.AppendString(t.UTC().Format(layout))
	}
}
