package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestUsabilityBrowser drives what only a browser shows: the phone menu
// (every item reachable without scrolling sideways), the unit search picker
// of the reorganisation form (app.js, under the strict content security
// policy) and dates typed dd/mm/yyyy in a browser whose own date inputs
// would follow its language. Same rules as TestBrowser.
func TestUsabilityBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, b *browser) {
		b.prefix = "ux-"
		phoneMenu(t, b)
		reorganisationPicker(t, b, app)
	})
}

// phoneMenu: on a 390 px phone the menu folds behind a button; opened, it
// shows every item inside the screen.
func phoneMenu(t *testing.T, b *browser) {
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.login("admin")
	eval := func(what, js string) float64 {
		t.Helper()
		ctx, cancel := b.step()
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
		if err != nil {
			b.fatalf("%s: %v", what, err)
		}
		return v
	}
	if n := eval("count the menu items", `document.querySelectorAll("header nav a").length`); n < 7 {
		t.Fatalf("the administrator's menu has %.0f items", n)
	}
	if eval("is the menu folded", `document.querySelector("header nav").offsetParent === null ? 1 : 0`) != 1 {
		t.Error("on a phone the menu is not folded behind its button")
	}
	b.shot("phone-menu-closed")
	// (A click's handler runs after the click returns: wait for the menu.)
	b.do("open the menu", chromedp.Click(chromedp.CSS(`[data-menu-toggle]`)), chromedp.WaitVisible(chromedp.CSS(`header nav a[href="/review"]`)))
	if got := b.attr(`[data-menu-toggle]`, "aria-expanded"); got != "true" {
		t.Errorf("the menu button says aria-expanded=%q once open", got)
	}
	// Every item, the review last among them, visible inside the screen.
	outside := eval("find items off screen", `[...document.querySelectorAll("header nav a, header .tools a, header .tools button")].filter(a => {
		const r = a.getBoundingClientRect();
		return a.offsetParent === null || r.width === 0 || r.left < 0 || r.right > window.innerWidth;
	}).length`)
	if outside != 0 {
		t.Errorf("%.0f menu items are hidden or off the screen once the menu is open", outside)
	}
	if w := eval("page width", `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page scrolls sideways: %.0f px wide on a 390 px phone", w)
	}
	b.wantText("header nav", vi("nav.review"), vi("nav.audit"))
	b.shot("phone-menu-open")
	b.submitWith("open Giao ban from the menu", chromedp.Click(chromedp.CSS(`header nav a[href="/review"]`)))
	b.wantPath("/review")

	// The review's month, typed as officials write it.
	b.do("type a month", chromedp.Clear(chromedp.ID("month")), chromedp.SendKeys(chromedp.ID("month"), "11/2026"))
	b.submit(`form.filters button[type=submit]`)
	b.wantH1(vi("review.heading", "tháng 11/2026"))
	if got := b.value("month"); got != "11/2026" {
		t.Errorf("the month field shows %q, want 11/2026", got)
	}
}

// reorganisationPicker: the administrator renames a ward, finding it by
// typing part of its name without accents, on a desktop.
func reorganisationPicker(t *testing.T, b *browser, app *testapp.App) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.open("/reorganisations")
	b.do("open the form", chromedp.Click(chromedp.CSS(`main details.card > summary`)))
	// The script put a search box over the code field.
	if got := b.attr(`label[for="subject-search"]`, "for"); got != "subject-search" {
		t.Fatal("the subject's label does not point at the search box")
	}
	b.do("search for Pleiku without accents",
		chromedp.SendKeys(chromedp.ID("subject-search"), "pleiku"),
		chromedp.WaitVisible(chromedp.CSS(`#subject-list [role=option]`)),
	)
	b.wantText("#subject-list", "Phường Pleiku — tỉnh Gia Lai (GL25.P.PLEIKU)")
	b.shot("picker-list")
	// Enter chooses; it does not send the form (a page loaded afresh would
	// have lost the mark set here).
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.stillHere = true`))
	b.do("choose it with the keyboard", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	{
		ctx, cancel := b.step()
		here, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stillHere === true`))
		cancel()
		if err != nil || !here {
			b.fatalf("Enter in the search box sent the form (%v)", err)
		}
	}
	b.wantText(`.picker:has(#subject-search) .chips`, "Phường Pleiku — tỉnh Gia Lai (GL25.P.PLEIKU)")
	ctx, cancel := b.step()
	code, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("subject").value`))
	cancel()
	if err != nil || code != "GL25.P.PLEIKU" {
		t.Errorf("the field the form sends holds %q (%v), want GL25.P.PLEIKU", code, err)
	}
	if got := b.attr("#subject-search", "aria-expanded"); got != "false" {
		t.Errorf("the list stays open after the choice (aria-expanded=%q)", got)
	}
	b.shot("picker-chosen")
	b.do("fill the rename",
		chromedp.SetValue(chromedp.ID("kind"), "rename"),
		chromedp.SendKeys(chromedp.ID("date"), "01/10/2025"),
		chromedp.SendKeys(chromedp.ID("basis"), "Nghị quyết thử nghiệm"),
		chromedp.SendKeys(chromedp.ID("newname"), "Phường Pleiku Trung Tâm"),
	)
	b.submit(`form[action="/reorganisations"] button[type=submit]`)
	b.wantText(".flash", vi("flash.recorded"))
	var name, from string
	err = app.DB.Read.QueryRow(`SELECT v.name, v.valid_from FROM org_unit_versions v JOIN org_units u ON u.id = v.unit_id
		WHERE u.code = 'GL25.P.PLEIKU' ORDER BY v.valid_from DESC LIMIT 1`).Scan(&name, &from)
	if err != nil || name != "Phường Pleiku Trung Tâm" || from != "2025-10-01" {
		t.Errorf("after the rename GL25.P.PLEIKU is %q from %s (%v), want Phường Pleiku Trung Tâm from 2025-10-01", name, from, err)
	}
}

// openMenu unfolds the phone menu when it is folded (on a desktop, or
// signed out, there is nothing to unfold).
func (b *browser) openMenu() {
	b.t.Helper()
	ctx, cancel := b.step()
	folded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const t = document.querySelector("[data-menu-toggle]");
		return !!t && t.offsetParent !== null && t.getAttribute("aria-expanded") !== "true";
	})()`))
	cancel()
	if err != nil {
		b.fatalf("look for the menu button: %v", err)
	}
	if folded {
		b.do("open the menu", chromedp.Click(chromedp.CSS(`[data-menu-toggle]`)), chromedp.WaitVisible(chromedp.CSS(`header nav`)))
	}
}

// headerClick follows a link (or presses a button) of the page header, as
// a person does: on a phone, through the menu button first.
func (b *browser) headerClick(what, css string) int64 {
	b.t.Helper()
	b.openMenu()
	return b.submitWith(what, chromedp.Click(chromedp.CSS(css)))
}
