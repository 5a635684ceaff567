// The case dashboard in headless Chromium (`make dashboard-e2e`): the Teams tab's pages as a
// Hub officer and as a practitioner see them, in local mode (no app credentials, as
// `make run`), signed in through the development sign-in page.
//
// It checks what each person can see, that the pages work from the keyboard, and runs the axe
// accessibility check (WCAG 2.2 A and AA rules) on every page: no serious or critical
// violation may remain. Screenshots go to e2e/artifacts/dashboard/.
//
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default .venv/bin/python),
// E2E_HEADED=1 to watch.

import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { freePort } from "./playground_support.mjs";

const require = createRequire(import.meta.url);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ARTIFACTS = path.join(REPO, "e2e", "artifacts", "dashboard");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.PYTHON || path.join(REPO, ".venv", "bin", "python");
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const WAIT = 30_000;

const HUB_OFFICER = "Priya Shah";
const PRACTITIONER = "Tom Reed";
const OPEN_CASES = ["NL-2026-0001", "NL-2026-0002", "NL-2026-0003"];
const CLOSED_CASE = "NL-2026-0004";
const CHILD_INITIALS = "ZQ";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cspr-dashboard-"));
let bot;
let base;
let browser;
let shot = 0;

function startBot(env) {
  const log = fs.createWriteStream(path.join(ARTIFACTS, "bot.log"));
  const child = spawn(PYTHON, ["-m", "bot_app"], { cwd: REPO, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error("the bot did not start: see bot.log")), 60_000);
    const watch = (chunk) => {
      log.write(chunk);
      seen = (seen + chunk.toString()).slice(-20_000);
      if (/listening on http/.test(seen)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on("data", watch);
    child.stderr.on("data", watch);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited (${code}) before it was ready: see bot.log`));
    });
  });
}

async function stopBot() {
  if (!bot || bot.exitCode !== null) return;
  const gone = new Promise((resolve) => bot.once("exit", resolve));
  try {
    process.kill(-bot.pid, "SIGTERM");
  } catch {
    return;
  }
  const timeout = new Promise((resolve) => setTimeout(resolve, 10_000, "timeout"));
  if ((await Promise.race([gone, timeout])) === "timeout") {
    try {
      process.kill(-bot.pid, "SIGKILL");
    } catch {}
  }
}

async function screenshot(page, name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core on the page as it stands: the serious and critical violations, described. */
async function seriousViolations(page) {
  await page.evaluate(AXE); // through the DevTools protocol: the page's own CSP stays in force
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }),
  );
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} - ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function accessible(page, name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe found serious or critical violations on ${name}`);
}

/** A fresh browser context for one person, watching for CSP violations and page errors. */
async function person() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      page.problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => page.problems.push(String(error)));
  return page;
}

/** Sign in through the development page, from the keyboard. */
async function signIn(page, name) {
  await page.goto(`${base}/tab`);
  await page.getByText("This page is not open in Microsoft Teams").waitFor();
  await page.getByRole("link", { name: /Development sign-in/ }).click();
  await page.getByRole("heading", { name: "Development sign-in" }).waitFor();
  const select = page.getByLabel("Sign in as");
  const value = await select.locator("option", { hasText: name }).getAttribute("value");
  await select.selectOption(value);
  await select.focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Sign in");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Open cases" }).waitFor();
}

async function caseReferencesShown(page) {
  return page.locator("table.cases tbody th a").allTextContents();
}

describe("the case dashboard in Chromium", { timeout: 240_000 }, () => {
  before(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      DATABASE_URL: `sqlite+aiosqlite:///${path.join(work, "cspr.db")}`,
      MICROSOFT_APP_ID: "", // local mode: the development sign-in
      DIRECTORY_FILE: "", // the demo directory
      DATA_ENCRYPTION_KEYS: `${crypto.randomBytes(32).toString("base64url")}=`,
      SCHEDULER_ENABLED: "false",
      LOG_LEVEL: "INFO",
    };
    bot = await startBot(env);
    const seeded = spawnSync(PYTHON, [path.join(REPO, "e2e", "dashboard_seed.py")], { cwd: REPO, env, encoding: "utf8" });
    if (seeded.status !== 0) throw new Error(`dashboard_seed.py failed: ${seeded.stderr}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: process.env.E2E_HEADED !== "1",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  after(async () => {
    await browser?.close();
    await stopBot();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("asks who you are, and offers the development sign-in only because it is local", async () => {
    const page = await person();
    const response = await page.goto(`${base}/tab`);
    assert.equal(response.status(), 401);
    const headers = response.headers();
    assert.match(headers["content-security-policy"], /frame-ancestors 'self' https:\/\/teams\.microsoft\.com/);
    assert.equal(headers["cache-control"], "no-store");
    await page.getByText("This page is not open in Microsoft Teams").waitFor();
    await screenshot(page, "sign-in-outside-teams");
    await accessible(page, "the sign-in page");
    await page.goto(`${base}/tab/dev-login`);
    await screenshot(page, "development-sign-in");
    await accessible(page, "the development sign-in page");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it("shows the Hub officer every open case with its clocks, then a case in full", async () => {
    const page = await person();
    await signIn(page, HUB_OFFICER);
    assert.deepEqual((await caseReferencesShown(page)).sort(), OPEN_CASES);
    assert.equal(await page.getByText(CLOSED_CASE).count(), 0, "closed cases are not on the overview");
    await page.getByText("Signed in as").getByText(HUB_OFFICER).waitFor();
    await page.getByText("development sign-in", { exact: true }).waitFor();
    await screenshot(page, "hub-overview");
    await accessible(page, "the Hub officer's overview");

    // The keyboard: the first Tab reaches the skip link, and focus is visible.
    await page.locator("body").focus();
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { text: el.textContent, outline: style.outlineStyle, left: el.getBoundingClientRect().left };
    });
    assert.equal(first.text, "Skip to main content");
    assert.notEqual(first.outline, "none", "the focused element shows where focus is");
    assert.ok(first.left >= 0, "the skip link comes into view when focused");

    // Filter by agency with a plain form.
    await page.getByLabel("Agency").selectOption("Riverside Primary School");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("Open cases (2 of 3)").waitFor();
    assert.deepEqual((await caseReferencesShown(page)).sort(), ["NL-2026-0002", "NL-2026-0003"]);
    await page.getByRole("link", { name: "Clear filters" }).click();

    // Open a case from the keyboard.
    await page.getByRole("link", { name: "NL-2026-0001", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Case NL-2026-0001" }).waitFor();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    await page.getByText("The family moved between two councils in 2025").waitFor();
    assert.equal(await page.getByText(CHILD_INITIALS, { exact: true }).count(), 0, "details only on request");
    await page.getByRole("link", { name: "Show the child's details" }).click();
    await page.getByRole("heading", { name: "The child's details" }).waitFor();
    await page.getByText(CHILD_INITIALS, { exact: true }).waitFor();
    await screenshot(page, "hub-case-page");
    await accessible(page, "the Hub officer's case page");

    await page.getByRole("link", { name: "Board report" }).click();
    await page.getByRole("heading", { name: "Board report", level: 1 }).waitFor();
    // Two charts from the clocks; the third (open actions) once action plans are stored.
    const plans = (await page.getByText("Action plans: not yet available").count()) === 0;
    assert.equal(await page.locator('svg[role="img"] > title').count(), plans ? 3 : 2);
    await screenshot(page, "board-report");
    await accessible(page, "the Board report");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it("shows the practitioner only the case they notified, without the child's details", async () => {
    const page = await person();
    await signIn(page, PRACTITIONER);
    assert.deepEqual(await caseReferencesShown(page), ["NL-2026-0001"]);
    await screenshot(page, "practitioner-overview");
    await accessible(page, "the practitioner's overview");

    await page.getByRole("link", { name: "NL-2026-0001", exact: true }).click();
    await page.getByRole("heading", { name: "Case NL-2026-0001" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Show the child's details" }).count(), 0);
    assert.equal(await page.getByText("The family moved between two councils").count(), 0, "no reasons");
    assert.equal(await page.getByRole("link", { name: /Evidence bundle/ }).count(), 0);
    await screenshot(page, "practitioner-case-page");
    await accessible(page, "the practitioner's case page");

    const refused = await page.goto(`${base}/tab/cases/NL-2026-0001?details=1`);
    assert.equal(refused.status(), 200);
    assert.equal(await page.getByText(CHILD_INITIALS, { exact: true }).count(), 0);
    const other = await page.goto(`${base}/tab/cases/NL-2026-0002`);
    assert.equal(other.status(), 404);
    await page.getByText("I can't find that case among the cases you have access to").waitFor();
    const board = await page.goto(`${base}/tab/board`);
    assert.equal(board.status(), 403);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
