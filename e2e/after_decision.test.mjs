// The after-decision cards in the Microsoft 365 Agents Playground (`make e2e`, after
// playground.test.mjs): the bot's review card, action plan card and `actions` list driven in
// headless Chromium, with the cards drawn by the Playground's own Adaptive Card renderer.
//
// One case is stored before the browser starts (e2e/after_decision_seed.py): it has reached
// the local review stage - the safeguarding partners decided a local CSPR today, so its
// 6-month clock runs from today. Priya Shah, the Hub officer, in her personal chat:
// `review <reference>` shows the review card with its milestones and the due date; she marks
// "Reviewer(s) commissioned" done on the card (Action.Execute: the answer, with its receipt,
// replaces the card); `plan <reference>` shows the action plan card, where she adds an action
// of her own and gets the receipt; `actions` (her open actions) lists it.
//
// The process and page helpers are playground.test.mjs's (copied: that file exports nothing).
// The bot runs as `make run` does on an SQLite file of its own; every port is picked free.
// Screenshots and logs go to e2e/artifacts/after-decision/.
//
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default .venv/bin/python),
// E2E_BOT_DIR (the checkout whose bot runs; default this one), E2E_HEADED=1 to watch.

import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// A folder of its own: playground.test.mjs empties e2e/artifacts/ when it starts.
const ARTIFACTS = path.join(REPO, "e2e", "artifacts", "after-decision");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.PYTHON || path.join(REPO, ".venv", "bin", "python");
const BOT_DIR = process.env.E2E_BOT_DIR || REPO;
const PLAYGROUND = path.join(REPO, "node_modules", ".bin", "agentsplayground");
const CARD_WAIT = 30_000; // a bot reply
const START_WAIT = 60_000; // a process starting

const HUB_OFFICER = "Priya Shah";
// The action is Priya's own, so that `actions` (her open actions) lists it.
const OWNER_EMAIL = "priya.shah@example.org";
const COUNCIL = "North Lincolnshire Council"; // her agency, in the demo directory
const ACTION = "Health visitors to check the referral pathway at every contact";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cspr-e2e-after-"));
const processes = [];
let browser;
let shot = 0;

// -- processes -------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Start a process in its own group, logging to artefacts; resolves when `ready` matches. */
function start(name, command, args, { cwd, env, ready }) {
  const log = fs.createWriteStream(path.join(ARTIFACTS, `${name}.log`));
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const entry = { name, child, exited: false };
  processes.push(entry);
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in ${START_WAIT / 1000} s: see ${name}.log`)),
      START_WAIT,
    );
    const watch = (chunk) => {
      log.write(chunk);
      seen = (seen + chunk.toString()).slice(-20_000);
      const match = ready.exec(seen);
      if (match && !entry.ready) {
        entry.ready = match;
        clearTimeout(timer);
        resolve(entry);
      }
    };
    child.stdout.on("data", watch);
    child.stderr.on("data", watch);
    child.on("exit", (code) => {
      entry.exited = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: see ${name}.log`));
    });
  });
}

async function stop(entry) {
  if (entry.exited) return;
  const gone = new Promise((resolve) => entry.child.once("exit", resolve));
  try {
    process.kill(-entry.child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timeout = new Promise((resolve) => setTimeout(resolve, 10_000, "timeout"));
  if ((await Promise.race([gone, timeout])) === "timeout") {
    try {
      process.kill(-entry.child.pid, "SIGKILL");
    } catch {}
  }
}

/** A Playground instance playing `user`, on a port of its own, talking to the bot. */
async function playground(user, botPort, conversationId, port = undefined, suffix = "") {
  const folder = path.join(work, user.split(" ")[0].toLowerCase());
  const made = spawnSync(PYTHON, [path.join(REPO, "e2e", "playground_user.py"), user, folder], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`playground_user.py failed: ${made.stderr}`);
  port ??= await freePort();
  const name = `playground-${user.split(" ")[0].toLowerCase()}${suffix}`;
  const entry = await start(
    name,
    PLAYGROUND,
    [
      "--app-endpoint", `http://127.0.0.1:${botPort}/api/messages`,
      "--channel-id", "msteams",
      "--port", String(port),
      "--conversation-id", conversationId,
      "--disable-telemetry",
    ],
    { cwd: folder, env: { ...process.env, BROWSER: "none" }, ready: /Listening on (\d+)/ },
  );
  // It falls back to a random port when ours was taken in the meantime: use the one it says.
  entry.url = `http://localhost:${entry.ready[1]}`;
  return entry;
}

// -- the page --------------------------------------------------------------------------------

async function open(url, { height = 1000 } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(CARD_WAIT);
  await page.goto(url);
  await page.getByRole("textbox").first().waitFor();
  return page;
}

async function screenshot(page, name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The newest card that shows `text`. */
function card(page, text) {
  return page.locator(".ac-adaptiveCard", { hasText: text }).last();
}

async function waitForCard(page, text) {
  const found = card(page, text);
  await found.waitFor();
  await found.scrollIntoViewIfNeeded();
  return found;
}

async function say(page, text) {
  const box = page.getByRole("textbox").last();
  await box.click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

async function pickDate(page, scope, label, day) {
  await scope.getByRole("combobox", { name: label }).click();
  const calendar = page.getByRole("dialog", { name: "Calendar" });
  const month = day.toLocaleString("en-US", { month: "long" });
  await calendar
    .getByRole("button", { name: `${day.getDate()}, ${month}, ${day.getFullYear()}`, exact: true })
    .click();
  await calendar.waitFor({ state: "hidden" });
}

/** Today in London, as the bot counts days. */
function londonToday() {
  const [y, m, d] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" })
    .format(new Date())
    .split("-")
    .map(Number);
  return new Date(y, m - 1, d);
}

/** "2 June 2027", as the cards write a day (after the weekday). */
function dayText(day) {
  return `${day.getDate()} ${day.toLocaleString("en-GB", { month: "long" })} ${day.getFullYear()}`;
}

// -- the test --------------------------------------------------------------------------------

describe("the after-decision cards in the Microsoft 365 Agents Playground", { timeout: 300_000 }, () => {
  let botPort;
  let hub;
  let reference;
  const today = londonToday();

  before(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    botPort = await freePort();
    const env = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(botPort),
      DATABASE_URL: `sqlite+aiosqlite:///${path.join(work, "cspr.db")}`,
      MICROSOFT_APP_ID: "", // local mode: the Playground sends no token
      DIRECTORY_FILE: "", // the demo directory: the Playground's six people and their roles
      // A throwaway Fernet key, so the run neither reads nor writes var/data-encryption.key.
      DATA_ENCRYPTION_KEYS: `${crypto.randomBytes(32).toString("base64url")}=`,
      OUTBOX_POLL_SECONDS: "0.5",
      LOG_LEVEL: "INFO",
    };
    await start("bot", PYTHON, ["-m", "bot_app"], { cwd: BOT_DIR, env, ready: /listening on http/ });
    // The case, stored once the bot has migrated the database.
    const seeded = spawnSync(PYTHON, [path.join(REPO, "e2e", "after_decision_seed.py")], {
      cwd: REPO,
      env,
      encoding: "utf8",
    });
    if (seeded.status !== 0) throw new Error(`after_decision_seed.py failed: ${seeded.stderr}`);
    reference = seeded.stdout.trim();
    assert.match(reference, /^NL-\d{4}-0001$/);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: process.env.E2E_HEADED !== "1",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    hub = await playground(HUB_OFFICER, botPort, "personal-chat-priya");
    hub.page = await open(hub.url, { height: 2400 });
  });

  // What the page showed when a step failed, next to the bot's log.
  afterEach(async (t) => {
    if (t.passed || !browser) return;
    for (const context of browser.contexts()) {
      for (const page of context.pages()) await screenshot(page, "FAILED").catch(() => {});
    }
  });

  after(async () => {
    await browser?.close();
    for (const entry of processes.reverse()) await stop(entry);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("shows the review card with its milestones and the 6-month due date", async () => {
    const page = hub.page;
    await say(page, `review ${reference}`);
    const review = await waitForCard(page, `Review: case ${reference}`);
    const due = new Date(today.getFullYear(), today.getMonth() + 6, today.getDate());
    const text = await review.innerText();
    assert.match(text, /Local child safeguarding practice review|Local CSPR/i, text);
    assert.match(text, /Milestones/);
    assert.match(text, /Reviewer\(s\) commissioned/);
    assert.match(text, /Methodology agreed/);
    assert.ok(text.includes(dayText(today)), `started today (${dayText(today)}): ${text}`);
    assert.ok(text.includes(dayText(due)), `due in 6 months (${dayText(due)}): ${text}`);
    await screenshot(page, "review-card");
  });

  it("marks a milestone done on the review card, whose answer shows the receipt", async () => {
    const page = hub.page;
    const review = card(page, `Review: case ${reference}`);
    // "Reviewer(s) commissioned" is the first milestone that can be marked done; its form
    // (Action.ShowCard) opens with today's date filled in.
    await review.getByRole("button", { name: "Mark done", exact: true }).first().click();
    await screenshot(page, "review-mark-done-form");
    await review.getByRole("button", { name: "Record", exact: true }).click();
    const answer = await waitForCard(page, `'Reviewer(s) commissioned' recorded as done on`);
    const said = await answer.innerText();
    const day = dayText(today);
    assert.match(said, new RegExp(`recorded as done on \\w+ ${day} - Priya Shah, \\w+ ${day} \\d\\d:\\d\\d`), said);
    assert.match(said, new RegExp(`Done on \\w+ ${day} \\(Priya Shah\\)`), said);
    assert.equal(
      await page.locator(".ac-adaptiveCard", { hasText: `Review: case ${reference}` }).count(),
      1,
      "the answer replaced the card",
    );
    await screenshot(page, "review-milestone-done-receipt");
  });

  it("shows the action plan card and adds an action, with the receipt", async () => {
    const page = hub.page;
    await say(page, `plan ${reference}`);
    const plan = await waitForCard(page, `Action plan: ${reference}`);
    await plan.getByText("No actions have been added yet.").waitFor();
    await screenshot(page, "plan-card");

    await plan.getByRole("button", { name: "Add an action", exact: true }).click();
    await plan.getByRole("textbox", { name: /What is to be done/ }).fill(ACTION);
    await plan.getByRole("textbox", { name: /Owner's email/ }).fill(OWNER_EMAIL);
    // A day this month that has not passed (the calendar opens on this month).
    const later = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 7);
    const due = later.getMonth() === today.getMonth() ? later : today;
    await pickDate(page, plan, /Due by/, due);
    await screenshot(page, "plan-add-action-form");
    await plan.getByRole("button", { name: "Add action", exact: true }).click();

    const added = await waitForCard(page, `Action 1 added for Priya Shah (${COUNCIL}) by Priya Shah`);
    assert.match(await added.innerText(), new RegExp(ACTION));
    await screenshot(page, "plan-action-added-receipt");
  });

  it("lists the action with `actions`", async () => {
    const page = hub.page;
    await say(page, "actions");
    // The newest card: the list, not the plan card above it.
    const list = await waitForCard(page, "Your actions");
    await list.getByText(`${reference} · action 1`).waitFor();
    await list.getByText(ACTION).waitFor();
    await list.getByRole("button", { name: "Open the plan", exact: true }).waitFor();
    await screenshot(page, "actions-list");
  });
});
