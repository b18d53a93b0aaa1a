// Package e2e_test drives the whole tinhso server through headless Chromium
// (chromedp), as an official would: sign in, browse the org tree, search,
// read the officials list, be refused another district's official, switch
// to English, sign out; then, as the administrator, add an official through
// the form. TestPlanBrowser (plan_test.go) drives the programme pages: a
// district's progress report with its evidence file, the Steering
// Committee's review and the targets of a plan. TestReportBrowser
// (report_test.go) drives periodic reporting on the demo's two years of
// reports: a commune's quarterly report entered, refused by a rule, sent,
// returned, sent again and accepted, then the pivot table, completeness and
// the plan targets that read the indicators. TestPlanWorkflowBrowser
// (workflow_test.go) walks issue 11's path: a progress report submitted,
// returned with a comment, fixed and approved, counted by the review; a
// deadline extension asked and granted; a Steering Committee conclusion
// whose directives become tasks; the leader's overview showing them.
//
// The tests need Chromium: they run when TINHSO_TEST_CHROMIUM holds the path
// of the browser (the README's test command sets it) and skip otherwise.
// They run on SQLite, and on PostgreSQL too when TINHSO_TEST_POSTGRES is set.
// With TINHSO_E2E_SHOTS set, they save PNG screenshots of the key steps into
// a new temporary directory and log where.
package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// vi and en are the texts users see, from the message catalogues.
func vi(key string, args ...any) string { return locale.T(locale.VI, key, args...) }
func en(key string, args ...any) string { return locale.T(locale.EN, key, args...) }

func TestBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, b *browser) {
		reporterJourney(t, b, app)
		adminAddsOfficial(t, b, app)
	})
}

// inChromium runs journey once per engine of urls (testapp.DemoURLs, or a
// database built on it), each time on a new server over a fresh copy of
// that database and in a new Chromium, b, whose people (b.person) share
// its screenshots' directory. The rules of every browser test: skipped
// without TINHSO_TEST_CHROMIUM; SQLite always, PostgreSQL too with
// TINHSO_TEST_POSTGRES; screenshots in a directory per engine with
// TINHSO_E2E_SHOTS; an error on any page's console fails the test.
func inChromium(t *testing.T, urls func(testing.TB) map[store.Engine]string, journey func(t *testing.T, app *testapp.App, b *browser)) {
	t.Helper()
	chromium := needChromium(t)
	shots := shotsDir(t)
	for engine, dbURL := range urls(t) {
		t.Run(string(engine), func(t *testing.T) {
			start := time.Now()
			app := testapp.New(t, dbURL)
			loaded := time.Now()
			b := newBrowser(t, chromium, app.URL)
			b.keepShots(shots, string(engine))
			journey(t, app, b)
			b.checkConsole()
			t.Logf("%s: demo province loaded in %s, browser journey took %s", engine,
				loaded.Sub(start).Round(time.Millisecond), time.Since(loaded).Round(time.Millisecond))
		})
	}
}

// keepShots has b save its screenshots in dir/name (made now), when dir
// is not "" (shotsDir).
func (b *browser) keepShots(dir, name string) {
	b.t.Helper()
	if dir == "" {
		return
	}
	b.shots = filepath.Join(dir, name)
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}
}

// needChromium returns the browser of TINHSO_TEST_CHROMIUM, skipping the
// test when the variable is not set.
func needChromium(t *testing.T) string {
	t.Helper()
	chromium := os.Getenv("TINHSO_TEST_CHROMIUM")
	if chromium == "" {
		t.Skip("TINHSO_TEST_CHROMIUM is not set: this browser test needs Chromium " +
			"(the README's test command installs it and sets the variable; " +
			"to run it alone: TINHSO_TEST_CHROMIUM=/usr/bin/chromium go test ./internal/e2e/)")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("TINHSO_TEST_CHROMIUM=%s: %v", chromium, err)
	}
	return chromium
}

// shotsDir is a new directory for screenshots when TINHSO_E2E_SHOTS is
// set, "" otherwise.
func shotsDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("TINHSO_E2E_SHOTS") == "" {
		return ""
	}
	dir, err := os.MkdirTemp("", "tinhso-e2e-shots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// reporterJourney is the reporter of Thành phố Pleiku, on a phone.
func reporterJourney(t *testing.T, b *browser, app *testapp.App) {
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	// The login page, in Vietnamese for a browser that asks for Vietnamese.
	b.open("/")
	b.wantPath("/login?next=%2F")
	b.wantH1(vi("login.title"))
	b.shot("login")

	// A wrong password: the Vietnamese error, the username kept, the
	// password emptied.
	b.do("type a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "baocao.pleiku"),
		chromedp.SendKeys(chromedp.ID("password"), "sai-mat-khau-2026"),
	)
	if status := b.submit(`form[action="/login"] button[type=submit]`); status != 401 {
		t.Errorf("wrong password: status %d, want 401", status)
	}
	b.wantText(`[role=alert]`, vi("error.bad_credentials"))
	if got := b.value("username"); got != "baocao.pleiku" {
		t.Errorf("username after a failed login = %q, want it kept", got)
	}
	if got := b.value("password"); got != "" {
		t.Errorf("password after a failed login = %q, want it emptied", got)
	}
	b.shot("login-failed")

	// The right password, typed and sent with Enter as on a keyboard.
	b.submitWith("sign in", chromedp.SendKeys(chromedp.ID("password"), demo.Password+"\n"))
	b.wantPath("/")
	b.wantH1(vi("home.hello", "Hoàng Văn Em"))
	b.wantText("main", "Thành phố Pleiku", vi("role.reporter"))
	b.shot("home")

	// The org tree, from the main menu: today's structure has the new
	// province and no district any more.
	b.headerClick("open Đơn vị", `header nav a[href="/units"]`)
	b.wantH1(vi("units.title"))
	b.wantText("main", "Tỉnh Gia Lai", "Tỉnh Lai Châu")
	b.wantNoText("main", "Thành phố Pleiku")

	// The structure of 2023: the old province with its city of Pleiku,
	// whose communes show once the tree is expanded.
	b.submitWith("open the 2023 structure", chromedp.Click(chromedp.CSS(`a[href="/units?asOf=2023-01-01"]`)))
	b.wantPath("/units?asOf=2023-01-01")
	b.wantText("main", "01/01/2023", "Tỉnh Gia Lai", "Thành phố Pleiku", "Thị xã An Khê")
	b.wantNoText(".tree", "Xã Trà Đa") // a commune of Pleiku, folded away
	b.do("expand the tree", chromedp.Click(chromedp.CSS(`button[data-tree-toggle="open"]`)))
	b.wantText(".tree", "Xã Trà Đa", "Phường Hoa Lư")
	b.shot("units-2023")

	// Back to today's structure, then an accent-free search.
	b.submitWith("open today's structure", chromedp.Click(chromedp.CSS(`form[role=search] a[href="/units"]`)))
	b.wantPath("/units")
	b.wantText(".tree", "Tỉnh Gia Lai")
	b.wantNoText("main", "Thành phố Pleiku")
	b.submitWith("search lai chau", chromedp.SendKeys(chromedp.ID("q"), "lai chau\n"))
	b.wantText("main table", "Tỉnh Lai Châu")
	b.wantNoText("main table", "Tỉnh Gia Lai")
	if got := b.value("q"); got != "lai chau" {
		t.Errorf("search box after searching = %q, want the query kept", got)
	}
	b.shot("units-search")

	// The officials of Pleiku, and not those of An Khê.
	b.headerClick("open Cán bộ", `header nav a[href="/officials"]`)
	b.wantH1(vi("nav.officials"))
	b.wantText("main table", "Hoàng Văn Em", "Phạm Thu Dung", "Thành phố Pleiku")
	b.wantNoText("main", "Võ Thị Giang")
	b.shot("officials")

	// An Khê's official, by address: refused, with the page saying why.
	ankhe := officialID(t, app, "baocao.ankhe")
	if status := b.open("/officials/" + ankhe); status != 403 {
		t.Errorf("An Khê's official: status %d, want 403", status)
	}
	b.wantH1(vi("error.forbidden"))
	b.wantNoText("main", "Võ Thị Giang")
	b.shot("forbidden")

	// The English switch in the header, back to the officials list.
	b.open("/officials")
	b.headerClick("switch to English", `header a[hreflang="en"]`)
	b.wantPath("/officials")
	b.wantH1(en("nav.officials"))
	b.openMenu()
	b.wantText("header nav", en("nav.home"), en("nav.units"))
	b.wantText("main", en("officials.count", 2), en("role.reporter"))
	if lang := b.attr("html", "lang"); lang != "en" {
		t.Errorf(`<html lang> = %q after switching to English, want "en"`, lang)
	}
	b.shot("officials-en")

	// Sign out: back to the login page, and the session is gone.
	b.headerClick("sign out", `form[action="/logout"] button`)
	b.wantPath("/login")
	b.wantH1(en("login.title"))
	b.open("/officials")
	b.wantPath("/login?next=%2Fofficials")
}

// adminAddsOfficial is the administrator on a desktop: a new official, with a
// mistake on the first try.
func adminAddsOfficial(t *testing.T, b *browser, app *testapp.App) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.open("/login")
	// The reporter left this browser in English: back to Vietnamese from
	// the login page.
	b.wantH1(en("login.title"))
	b.headerClick("switch to Vietnamese", `header a[hreflang="vi"]`)
	b.wantPath("/login")
	b.wantH1(vi("login.title"))
	b.do("type admin's credentials",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
	)
	b.submit(`form[action="/login"] button[type=submit]`)
	b.wantH1(vi("home.hello", "Nguyễn Văn An"))

	b.headerClick("open Cán bộ", `header nav a[href="/officials"]`)
	b.wantText("main table", "Võ Thị Giang", "Hoàng Văn Em")
	b.submitWith("open the new official form", chromedp.Click(chromedp.CSS(`main a[href^="/officials/new"]`)))
	b.wantH1(vi("officials.add"))

	unit := strconv.FormatInt(app.UnitID(t, "GL25.SKHCN"), 10)
	b.do("fill the form, with a bad email",
		chromedp.SendKeys(chromedp.ID("username"), "tranvanbao.skhcn"),
		chromedp.SendKeys(chromedp.ID("fullName"), "Trần Văn Bảo"),
		chromedp.SendKeys(chromedp.ID("title"), "Chuyên viên Phòng Chuyển đổi số"),
		chromedp.SendKeys(chromedp.ID("email"), "bao.tv-gialai.gov.vn"),
		chromedp.SetValue(chromedp.ID("unitId"), unit),
		chromedp.Click(chromedp.CSS(`input[name=role][value=reporter]`)),
		chromedp.SendKeys(chromedp.ID("password"), "mat-khau-rat-dai-2026"),
	)
	b.shot("official-new")
	if status := b.submit(`main form button[type=submit]`); status != 422 {
		t.Errorf("official with a bad email: status %d, want 422", status)
	}
	emailErr := vi("field.email") + ": " + vi("invalid.email")
	b.wantText(`[role=alert]`, vi("form.has_errors"), emailErr)
	b.wantText(`#email-err`, emailErr)
	if got := b.attr("#email", "aria-invalid"); got != "true" {
		t.Errorf("email field aria-invalid = %q, want true", got)
	}
	for field, want := range map[string]string{"username": "tranvanbao.skhcn", "fullName": "Trần Văn Bảo", "unitId": unit, "password": ""} {
		if got := b.value(field); got != want {
			t.Errorf("after the failed submit, %s = %q, want %q", field, got, want)
		}
	}
	if !b.checked(`input[name=role][value=reporter]`) {
		t.Error("after the failed submit, the reporter role is no longer ticked")
	}
	b.shot("official-new-error")

	b.do("fix the email, type the password again",
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "bao.tv@gialai.gov.vn"),
		chromedp.SendKeys(chromedp.ID("password"), "mat-khau-rat-dai-2026"),
	)
	if status := b.submit(`main form button[type=submit]`); status != 200 {
		t.Errorf("official fixed: status %d, want 200 after the redirect", status)
	}
	b.wantH1("Trần Văn Bảo")
	b.wantText(".flash", vi("flash.created"))
	b.wantText("main dl", "tranvanbao.skhcn", "Sở Khoa học và Công nghệ", "bao.tv@gialai.gov.vn", vi("role.reporter"))
	b.shot("official-created")

	b.headerClick("back to Cán bộ", `header nav a[href="/officials"]`)
	b.wantText("main table", "Trần Văn Bảo", "tranvanbao.skhcn")

	// The edit form of an official whose district has ended (Pleiku, 2025)
	// still shows their unit and their role's scope, so saving it does not
	// move them.
	b.submitWith("open Hoàng Văn Em", chromedp.Click(chromedp.CSS(`main table a[href="/officials/`+officialID(t, app, "baocao.pleiku")+`"]`)))
	b.wantH1("Hoàng Văn Em")
	for _, sel := range []string{"#unitId", "#scope_reporter"} {
		ctx, cancel := b.step()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("`+sel+`").selectedOptions[0].textContent`))
		cancel()
		if err != nil {
			b.fatalf("read %s: %v", sel, err)
		}
		if !strings.Contains(got, "Thành phố Pleiku") {
			t.Errorf("%s on Hoàng Văn Em's edit form shows %q, want Thành phố Pleiku", sel, got)
		}
	}
	b.shot("official-edit-ended-unit")
}

func officialID(t *testing.T, app *testapp.App, username string) string {
	t.Helper()
	o, err := app.Org.OfficialByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("official %s: %v", username, err)
	}
	return strconv.FormatInt(o.ID, 10)
}

// browser is one headless Chromium with a fresh profile, on one tab.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string // directory for screenshots, "" for none
	prefix string // of the screenshots' names
	n      int

	people []*browser // the others at other computers (person), for checkConsole

	mu      sync.Mutex
	console []string // errors the pages wrote to the console
}

// stepTimeout bounds one step, so that a missing element fails with its
// name rather than at the test's deadline.
const stepTimeout = 30 * time.Second

func newBrowser(t *testing.T, chromium, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// An official's browser asks for Vietnamese.
		chromedp.Flag("lang", "vi-VN"),
		chromedp.Flag("accept-lang", "vi-VN,vi"),
		chromedp.WindowSize(1280, 900),
	)
	// The whole journey, all its people, must fit in this (the longest,
	// TestPlanWorkflowBrowser, takes about a minute under -race on a busy
	// machine).
	root, cancelRoot := context.WithTimeout(context.Background(), 5*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelRoot() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, base: base}
	b.watchConsole()
	return b
}

// watchConsole collects the errors that the tab's pages write to the
// console.
func (b *browser) watchConsole() {
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// A 4xx answer is logged by the network as an error; the test
			// checks those statuses itself.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s (%s)", m.Text, m.URL))
				b.mu.Unlock()
			}
		}
	}()
}

// person is another official at another computer: a new tab of the same
// Chromium in a browser context of its own (no cookies shared with b or
// any other person). Its screenshots go where b's go, named after name.
func (b *browser) person(name string) *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a browser context for %s: %v", name, err)
	}
	p := &browser{t: b.t, ctx: ctx, base: b.base, shots: b.shots, prefix: name + "-"}
	p.watchConsole()
	b.people = append(b.people, p)
	return p
}

// checkConsole fails on script errors and content-security-policy
// violations reported by the pages, b's and its people's, since the last
// check.
func (b *browser) checkConsole() {
	b.t.Helper()
	b.mu.Lock()
	console := b.console
	b.console = nil
	b.mu.Unlock()
	who := ""
	if b.prefix != "" {
		who = " of " + strings.TrimSuffix(b.prefix, "-")
	}
	for _, m := range console {
		b.t.Errorf("browser console%s: %s", who, m)
	}
	for _, p := range b.people {
		p.checkConsole()
	}
}

func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// do runs steps that return nothing, failing the test with what on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// open loads a path and returns the HTTP status of the page.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.fatalf("open %s: %v", path, err)
	}
	if res == nil {
		b.fatalf("open %s: no response", path)
	}
	return res.Status
}

// submitWith runs steps that load a new page (a click on a link, Enter in
// a form) and returns the page's HTTP status, after redirects.
func (b *browser) submitWith(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if res == nil {
		b.fatalf("%s: no page loaded", what)
	}
	return res.Status
}

// submit clicks the button matched by css and waits for the next page.
func (b *browser) submit(css string) int64 {
	b.t.Helper()
	return b.submitWith("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// text is the visible text of the first element matching css.
func (b *browser) text(css string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.fatalf("read the text of %s: %v", css, err)
	}
	return s
}

func (b *browser) wantText(css string, want ...string) {
	b.t.Helper()
	got := b.text(css)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s on %s: %q is not shown; the page shows:\n%s", css, b.location(), w, got)
		}
	}
}

func (b *browser) wantNoText(css string, unwanted ...string) {
	b.t.Helper()
	got := b.text(css)
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			b.t.Errorf("%s on %s shows %q, which it must not", css, b.location(), w)
		}
	}
}

func (b *browser) wantH1(want string) {
	b.t.Helper()
	if got := strings.TrimSpace(b.text("main h1")); got != want {
		b.t.Errorf("heading on %s = %q, want %q", b.location(), got, want)
	}
}

func (b *browser) value(id string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.fatalf("read the value of #%s: %v", id, err)
	}
	return v
}

func (b *browser) checked(css string) bool {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(css), "checked"))
	if err != nil {
		b.fatalf("read %s: %v", css, err)
	}
	return v
}

func (b *browser) attr(css, name string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil {
		b.fatalf("read %s[%s]: %v", css, name, err)
	}
	return a.Value
}

// location is the path and query of the page shown.
func (b *browser) location() string {
	ctx, cancel := b.step()
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return u.RequestURI()
}

func (b *browser) wantPath(want string) {
	b.t.Helper()
	if got := b.location(); got != want {
		b.fatalf("the browser is on %s, want %s", got, want)
	}
}

// shot saves a full-page PNG when screenshots are asked for.
func (b *browser) shot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s%02d-%s.png", b.prefix, b.n, name)), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// shotOf saves a PNG of the first element matching css when screenshots
// are asked for: a part of a page too long to read whole.
func (b *browser) shotOf(name, css string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(css)))
	if err != nil {
		b.t.Errorf("screenshot %s of %s: %v", name, css, err)
		return
	}
	b.n++
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s%02d-%s.png", b.prefix, b.n, name)), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// fatalf stops the test, with a screenshot of the page when they are kept.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.shot("failure")
	b.t.Fatalf(format, args...)
}
