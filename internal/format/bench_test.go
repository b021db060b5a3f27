package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// benchSignIns builds n beta sign-in records shaped like real ones (about 2
// KB each): unique ids and tokens, users, apps, devices and places drawn from
// small pools as in a real tenant, so compression ratios are realistic.
func benchSignIns(n int) []audit.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	guid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff,
			rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
	}
	pool := func(k int, f func(i int) string) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	users := pool(300, func(i int) string { return fmt.Sprintf("user%03d@contoso.com", i) })
	userIDs := pool(300, func(int) string { return guid() })
	apps := []string{"Microsoft Teams", "Office 365 Exchange Online", "OneDrive SyncEngine", "Azure Portal", "Microsoft Edge", "Outlook Mobile"}
	appIDs := pool(len(apps), func(int) string { return guid() })
	devices := pool(400, func(int) string { return guid() })
	cities := []string{"Redmond,Washington,US,47.68050003051758,-122.12094116210938", "Amsterdam,Noord-Holland,NL,52.37403,4.88969", "Dublin,Dublin,IE,53.3498,-6.2603"}
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	recs := make([]audit.Record, n)
	for i := range recs {
		u, a := rng.IntN(len(users)), rng.IntN(len(apps))
		place := strings.Split(cities[rng.IntN(len(cities))], ",")
		city, state, country, lat, lon := place[0], place[1], place[2], place[3], place[4]
		at := start.Add(time.Duration(i) * 3 * time.Second / 2).Add(time.Duration(rng.IntN(1e7)) * 100)
		errorCode := 0
		if rng.IntN(10) == 0 {
			errorCode = 50140
		}
		raw := fmt.Sprintf(`{"id":"%s","createdDateTime":"%s","userDisplayName":"User %d","userPrincipalName":"%s","userId":"%s","userType":"member","appId":"%s","appDisplayName":"%s","ipAddress":"%d.%d.%d.%d","ipAddressFromResourceProvider":null,"clientAppUsed":"Mobile Apps and Desktop clients","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0","correlationId":"%s","conditionalAccessStatus":"success","originalRequestId":"%s","isInteractive":false,"tokenIssuerName":"","tokenIssuerType":"AzureAD","processingTimeInMilliseconds":%d,"riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes_v2":[],"resourceDisplayName":"Microsoft Graph","resourceId":"00000003-0000-0000-c000-000000000000","resourceTenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","homeTenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","authenticationRequirement":"singleFactorAuthentication","signInIdentifier":"","signInEventTypes":["nonInteractiveUser"],"authenticationMethodsUsed":[],"authenticationProtocol":"none","incomingTokenType":"primaryRefreshToken","flaggedForReview":false,"isTenantRestricted":false,"autonomousSystemNumber":8075,"crossTenantAccessType":"none","uniqueTokenIdentifier":"%016x%06x","sessionId":"%s","status":{"errorCode":%d,"failureReason":"Other.","additionalDetails":null},"deviceDetail":{"deviceId":"%s","displayName":"DESKTOP-%04d","operatingSystem":"Windows10","browser":"Rich Client 4.45.0.0","isCompliant":true,"isManaged":true,"trustType":"Azure AD joined"},"location":{"city":"%s","state":"%s","countryOrRegion":"%s","geoCoordinates":{"altitude":null,"latitude":%s,"longitude":%s}},"appliedConditionalAccessPolicies":[{"id":"7ab2c4b1-0000-4000-8000-000000000001","displayName":"Require MFA for admins","enforcedGrantControls":["Mfa"],"enforcedSessionControls":[],"result":"notApplied"},{"id":"7ab2c4b1-0000-4000-8000-000000000002","displayName":"Block legacy authentication","enforcedGrantControls":["Block"],"enforcedSessionControls":[],"result":"success"}],"authenticationDetails":[{"authenticationStepDateTime":"%s","authenticationMethod":"Previously satisfied","authenticationMethodDetail":null,"succeeded":true,"authenticationStepResultDetail":"First factor requirement satisfied by claim in the token","authenticationStepRequirement":""}],"authenticationProcessingDetails":[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Is CAE Token","value":"True"}],"networkLocationDetails":[],"sessionLifetimePolicies":[],"authenticationRequirementPolicies":[],"authenticationContextClassReferences":[],"appliedEventListeners":[]}`,
			guid(), at.Format(time.RFC3339Nano), u, users[u], userIDs[u], appIDs[a], apps[a],
			rng.IntN(223)+1, rng.IntN(256), rng.IntN(256), rng.IntN(256), guid(), guid(), rng.IntN(400),
			rng.Uint64(), rng.Uint32()&0xffffff, guid(), errorCode, devices[rng.IntN(len(devices))], rng.IntN(10000),
			city, state, country, lat, lon, at.Format(time.RFC3339Nano))
		rec, err := audit.ParseRecord([]byte(raw), audit.NonInteractiveSignIns.TimeField)
		if err != nil {
			panic(err)
		}
		recs[i] = rec
	}
	return recs
}

func rawSize(recs []audit.Record) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(r.Raw))
	}
	return n
}

// Writer throughput in MB/s of Graph JSON (b.SetBytes counts raw record
// bytes, whatever the format writes).
func BenchmarkWriter(b *testing.B) {
	st := audit.NonInteractiveSignIns
	recs := benchSignIns(2000)
	for _, format := range formats {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(rawSize(recs))
			b.ReportAllocs()
			for b.Loop() {
				w, err := NewWriter(format, st, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				for i := range recs {
					if err := w.Write(&recs[i]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReader(b *testing.B) {
	st := audit.NonInteractiveSignIns
	recs := benchSignIns(2000)
	for _, format := range formats {
		b.Run(format, func(b *testing.B) {
			part := encode(b, format, st, recs)
			b.SetBytes(rawSize(recs))
			for b.Loop() {
				r, err := NewReader(format, st, bytes.NewReader(part))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := r.Next(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkGzipLevels compares compression levels on jsonl of realistic
// sign-ins; the chosen gzipLevel is justified by these numbers.
func BenchmarkGzipLevels(b *testing.B) {
	data := encode(b, JSONL, audit.NonInteractiveSignIns, benchSignIns(5000))
	for _, level := range []int{gzip.BestSpeed, 2, 3, 4, 5, gzip.DefaultCompression, gzip.BestCompression} {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			var out bytes.Buffer
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				out.Reset()
				zw, err := gzip.NewWriterLevel(&out, level)
				if err != nil {
					b.Fatal(err)
				}
				zw.Write(data)
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data))/float64(out.Len()), "ratio")
		})
	}
}

// BenchmarkGzip measures NewGzipWriter and NewGzipReader as the job uses
// them: the jsonl writer streaming into gzip, and back.
func BenchmarkGzip(b *testing.B) {
	st := audit.NonInteractiveSignIns
	recs := benchSignIns(2000)
	b.Run("write", func(b *testing.B) {
		b.SetBytes(rawSize(recs))
		for b.Loop() {
			zw := NewGzipWriter(io.Discard)
			w, _ := NewWriter(JSONL, st, zw)
			for i := range recs {
				w.Write(&recs[i])
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		z := gzipBytes(b, encode(b, JSONL, st, recs))
		b.SetBytes(rawSize(recs))
		for b.Loop() {
			zr, err := NewGzipReader(bytes.NewReader(z))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkContentKeyCSV(b *testing.B) {
	st := audit.NonInteractiveSignIns
	recs := benchSignIns(2000)
	b.SetBytes(rawSize(recs))
	for b.Loop() {
		for i := range recs {
			if _, err := ContentKey(CSV, st, &recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
