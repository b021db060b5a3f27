package graphsim

import (
	"strconv"
	"strings"
)

// Strings in the pools below are JSON string contents, already escaped: they
// go between quotes as they are. Several carry the unicode and escaping
// oddities real data has (raw UTF-8, \u escapes with surrogate pairs, quotes).

var firstNames = []string{
	"Adele", "Alex", "Diego", "Grady", "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne",
	"Megan", "Miriam", "Nestor", "Patti", "Pradeep", "José", "Zoë", `Ren\u00e9e`, "Søren",
	"Łukasz", "Ольга", "Ngọc", "美玲", "Aiyana", "Chloé",
}

var lastNames = []string{
	"Vance", "Wilber", "Siciliani", "Archie", "Henderson", "Lambert", "Sherman", "Gu",
	"Holloway", "Patterson", "Bowen", "Graham", "Müller", "王 中文", "García", `O'Brien`,
	`\"The Admin\" Smith`, "Nguyễn 😀", `Rocket \ud83d\ude80`, "van der Berg, Jr.",
}

// asciiSlugs give the user-principal-name part of each name, index-aligned.
var firstSlugs = []string{
	"adele", "alex", "diego", "grady", "isaiah", "johanna", "joni", "lee", "lidia", "lynne",
	"megan", "miriam", "nestor", "patti", "pradeep", "jose", "zoe", "renee", "soren",
	"lukasz", "olga", "ngoc", "meiling", "aiyana", "chloe",
}

var lastSlugs = []string{
	"vance", "wilber", "siciliani", "archie", "henderson", "lambert", "sherman", "gu",
	"holloway", "patterson", "bowen", "graham", "muller", "wang", "garcia", "obrien",
	"smith", "nguyen", "rocket", "vanderberg",
}

var tenantDomains = []string{"contoso", "fabrikam", "northwind", "tailspin", "woodgrove", "adatum", "litware", "wingtip"}

// app is a client application or resource: display name and app id.
type app struct{ name, id string }

var clientApps = []app{
	{"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"},
	{"Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"},
	{"Graph Explorer", "de8bc8b5-d9f9-48b1-a8ad-b748da725064"},
	{"Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
	{"Azure Active Directory PowerShell", "1b730954-1685-4b74-9bfd-dac224a7b894"},
	{"Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"},
	{"My Apps", "2793995e-0a7d-40d7-bd35-6968ba142197"},
	{"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"},
	{`Contoso HR <Prod>, \"EU\" & more`, "8c1f1c4e-2b43-4f6c-9f4a-3a7d8c2e9b10"},
	{"Portail Intérieur", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"},
	{"企业应用 😀", "6f2c1a9b-7d3e-4e1f-a2b3-c4d5e6f7a8b9"},
	{`\u003cLegacy\u003e Sync \u0026 Co`, "7a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"},
}

var resources = []app{
	{"Microsoft Graph", "00000003-0000-0000-c000-000000000000"},
	{"Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
	{"Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"},
	{"Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"},
	{"Azure Key Vault", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"},
}

var servicePrincipalNames = []string{
	"backup-runner", "Contoso CI/CD", "payroll-sync", `Data \"Lake\" Loader`, "SIEM connector, EU",
	"entra-archiver", "Terraform", "Logic App: invoices", "Ölmotor 🚀", "監視エージェント",
}

var managedIdentityNames = []string{
	"func-orders-prod", "vm-build-01", "aks-agentpool-12345678-vmss", "app-portal-staging",
	"la-mail-router", "st-archive-sync", "adf-nightly-etl",
}

// location: city, state, country and coordinates (JSON number literals).
type location struct{ city, state, country, lat, lon string }

var locations = []location{
	{"Redmond", "Washington", "US", "47.674", "-122.1215"},
	{"Paris", "Paris", "FR", "48.8566", "2.3522"},
	{"München", "Bayern", "DE", "48.1374", "11.5755"},
	{"北京", "北京市", "CN", "39.9042", "116.4074"},
	{"São Paulo", "São Paulo", "BR", "-23.5505", "-46.6333"},
	{"Zürich", "Zürich", "CH", "47.3769", "8.5417"},
	{`Montr\u00e9al`, `Qu\u00e9bec`, "CA", "45.5017", "-73.5673"},
	{"Null Island", "", "", "0", "-0"},
	{"Reykjavík", "Capital Region", "IS", "64.1466", "-21.9426"},
	{"Sydney", "New South Wales", "AU", "-33.8688", "151.2093"},
}

// trickyTexts test encoders: separators, quotes, control escapes, markup
// raw and escaped, mixed scripts, emoji raw and as surrogate pairs.
var trickyTexts = []string{
	"Other.",
	"Invalid username or password or Invalid on-premise username or password.",
	`Line one\nLine two\twith a tab, and \"double quotes\"`,
	`<script>alert('x')</script> & <b>bold</b>`,
	`\u003cb\u003eescaped markup\u003c/b\u003e \u0026 ampersand`,
	"Comma, separated, values; and semicolons",
	`Emoji 😀 and \ud83d\ude03 escaped; 中文; é and \u00e9`,
	`Back\\slash C:\\temp\\file.txt and a \/ solidus`,
	`Carriage\r\nreturn`,
	"",
}

// oddNumbers are JSON number literals that a float64 round trip rewrites.
var oddNumbers = []string{
	"0.30000000000000004", "1.0", "1E+2", "-0", "12345678901234567890",
	"1.000000000000000000001", "2.5e-7", "100",
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
	"azsdk-go-azidentity/v1.15.0 (go1.26; linux)",
	"python-requests/2.31.0",
	`Mozilla/5.0 \"quoted\" agent`,
}

// user is one member of the simulated directory.
type user struct{ id, name, upn string }

// directory is a tenant's people and names, derived from its seed.
type directory struct {
	tenantID string
	domain   string
	users    []user
	spIDs    []string // object ids of service principals, aligned with servicePrincipalNames
	miIDs    []string // aligned with managedIdentityNames
}

const directoryUsers = 500

func newDirectory(tenantID string, seed int64) *directory {
	r := rng{s: stringSalt(seed, "directory")}
	d := &directory{tenantID: tenantID}
	d.domain = tenantDomains[r.intn(len(tenantDomains))] + strconv.Itoa(r.intn(100)) + ".onmicrosoft.com"
	for k := 0; k < directoryUsers; k++ {
		f, l := r.intn(len(firstNames)), r.intn(len(lastNames))
		slug := firstSlugs[f] + "." + lastSlugs[l] + strconv.Itoa(k)
		if k%20 == 0 {
			slug = "admin." + slug
		}
		if k%37 == 0 {
			slug = strings.ToUpper(slug[:1]) + slug[1:] // UPNs are not always lower case
		}
		d.users = append(d.users, user{
			id:   r.guid(),
			name: firstNames[f] + " " + lastNames[l],
			upn:  slug + "@" + d.domain,
		})
	}
	for range servicePrincipalNames {
		d.spIDs = append(d.spIDs, r.guid())
	}
	for range managedIdentityNames {
		d.miIDs = append(d.miIDs, r.guid())
	}
	return d
}

func (r *rng) guid() string { return guidString(r.next(), r.next()) }
