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
// The process and page helpers are shared with playground.test.mjs (playground_support.mjs).
// The bot runs as `make run` does on an SQLite file of its own; every port is picked free.
// Screenshots and logs go to e2e/artifacts/after-decision/.
//
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default .venv/bin/python),
// E2E_BOT_DIR (the checkout whose bot runs; default this one), E2E_HEADED=1 to watch.

import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { chromium } from "playwright-core";

import {
  BOT_DIR,
  CHROMIUM,
  PYTHON,
  REPO,
  card,
  freePort,
  harness,
  pickDate,
  say,
  waitForCard,
} from "./playground_support.mjs";

// A folder of its own: playground.test.mjs empties e2e/artifacts/ when it starts.
const ARTIFACTS = path.join(REPO, "e2e", "artifacts", "after-decision");
const h = harness({ artifacts: ARTIFACTS, workPrefix: "cspr-e2e-after-" });
const { open, playground, screenshot, start } = h;

const HUB_OFFICER = "Priya Shah";
// The action is Priya's own, so that `actions` (her open actions) lists it.
const OWNER_EMAIL = "priya.shah@example.org";
const COUNCIL = "North Lincolnshire Council"; // her agency, in the demo directory
const ACTION = "Health visitors to check the referral pathway at every contact";

// -- the page --------------------------------------------------------------------------------

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
  let bot;
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
      DATABASE_URL: `sqlite+aiosqlite:///${path.join(h.work, "cspr.db")}`,
      MICROSOFT_APP_ID: "", // local mode: the Playground sends no token
      DIRECTORY_FILE: "", // the demo directory: the Playground's six people and their roles
      // A throwaway Fernet key, so the run neither reads nor writes var/data-encryption.key.
      DATA_ENCRYPTION_KEYS: `${crypto.randomBytes(32).toString("base64url")}=`,
      OUTBOX_POLL_SECONDS: "0.5",
      LOG_LEVEL: "INFO",
    };
    bot = await start("bot", PYTHON, ["-m", "bot_app"], { cwd: BOT_DIR, env, ready: /listening on http/ });
    // The case, stored once the bot has migrated the database.
    const seeded = spawnSync(PYTHON, [path.join(REPO, "e2e", "after_decision_seed.py")], {
      cwd: REPO,
      env,
      encoding: "utf8",
    });
    if (seeded.status !== 0) throw new Error(`after_decision_seed.py failed: ${seeded.stderr}`);
    reference = seeded.stdout.trim();
    assert.match(reference, /^NL-\d{4}-0001$/);
    h.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: process.env.E2E_HEADED !== "1",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    hub = await playground(HUB_OFFICER, botPort, "personal-chat-priya");
    hub.page = await open(hub.url, { height: 2400 });
    await h.settleWeeklySummary(bot);
  });

  // What the page showed when a step failed, next to the bot's log.
  afterEach(async (t) => {
    if (t.passed || !h.browser) return;
    for (const context of h.browser.contexts()) {
      for (const page of context.pages()) await screenshot(page, "FAILED").catch(() => {});
    }
  });

  after(async () => {
    await h.close();
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
