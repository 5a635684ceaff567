// The real-client test (`make e2e`): the bot in the Microsoft 365 Agents Playground, driven in
// headless Chromium like a person would, with the cards drawn by the Playground's own Adaptive
// Card renderer.
//
// Four people of the demo directory take part, each in a Playground of their own (it plays one
// person at a time): Chris Lane, the administrator, registers the Hub channel and the CSPR
// Group's (the team's General channel); Tom Reed, a practitioner, is welcomed, asks for help,
// shows the deadlines (an Action.Execute button), types words that read like a child in danger
// now and gets 999 first, then presses its button and notifies a death step by step on ONE card
// that each Next replaces in place (Action.Execute) and that ends as the receipt - every card in
// his chat is counted; Priya Shah, Hub officer, sees the case card arrive in the Hub channel,
// records the Panel notification on it (typing the time as people do, "9.40am"), starts the
// rapid review and opens the CSPR Group vote; Sam Hughes, a CSPR Group core member, votes on
// the card in the CSPR Group channel, gets the receipt with the time, presses again and is told
// it is already recorded.
//
// A Playground answers a post to a channel only for the channel's own Playground port: each
// channel is registered from an instance on the port that the person who reads it takes over.
// The Playground runs no `refresh`, so the bot's update of a shared card replaces the answer a
// moment after it is shown: the test waits for that to settle, and holds the update back while
// it looks at the vote's receipt (see `Gate`).
//
// The bot runs as `make run` does (`python -m bot_app`, migrating at start) on an SQLite file
// of its own; every port is picked free. Screenshots and logs go to e2e/artifacts/.
//
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default .venv/bin/python),
// E2E_BOT_DIR (the checkout whose bot runs; default this one), E2E_HEADED=1 to watch.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { chromium } from "playwright-core";

import {
  BOT_DIR,
  CARD_WAIT,
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

const ARTIFACTS = path.join(REPO, "e2e", "artifacts");
const h = harness({ artifacts: ARTIFACTS, workPrefix: "cspr-e2e-" });
const { open, playground, screenshot, start, stop } = h;

const ADMIN = "Chris Lane";
const PRACTITIONER = "Tom Reed";
const HUB_OFFICER = "Priya Shah";
const MEMBER = "Sam Hughes"; // a CSPR Group core member
const AGENCY = "Northern Lincolnshire and Goole NHS Foundation Trust";
const REFERENCE = "NL-2026-0001"; // the first case of a fresh database
const INITIALS = "ZQ";
const SUMMARY = "Found unresponsive at home by a parent; ambulance called.";
const URGENT = "i found the baby not breathing what do i do";
const CALL_999 = "If a child is in immediate danger call 999";
const CHOICE = "Local child safeguarding practice review";
const RATIONALE = "Health and police did not share what they knew: two agencies working together.";


// -- the page --------------------------------------------------------------------------------

/**
 * Holds back, while closed, what the Playground's server pushes to the page about a card
 * unless it carries one of `passes`: the bot's own update of a shared card (sent a moment
 * after an Action.Execute answer, and replacing it, since the Playground runs no `refresh`)
 * waits until the answer has been looked at. Everything is forwarded, in order, on `open()`.
 */
class Gate {
  constructor(holds, passes) {
    this.holds = holds;
    this.passes = passes;
    this.closed = false;
    this.queue = [];
    this.held = 0;
  }

  async install(context) {
    await context.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        const text = typeof message === "string" ? message : message.toString("utf8");
        if (this.closed && this.holds.test(text) && !this.passes.test(text)) {
          this.held += 1;
          this.queue.push(() => ws.send(message));
        } else if (this.queue.length) {
          this.queue.push(() => ws.send(message)); // keep the order
        } else {
          ws.send(message);
        }
      });
    });
  }

  close() {
    this.closed = true;
  }

  open() {
    this.closed = false;
    for (const send of this.queue.splice(0)) send();
  }
}

/** The card alone, from its top (the page must be tall enough for it: see `open`). */
async function cardShot(locator, name) {
  await locator.evaluate((el) => el.scrollIntoView({ block: "start" }));
  const file = h.shotFile(name);
  await locator.screenshot({ path: file });
  return file;
}

/** Every card in the open conversation (not the forms of Action.ShowCard inside them). */
function cards(page) {
  return page.locator(".ac-adaptiveCard:not(.ac-adaptiveCard .ac-adaptiveCard)");
}

/** Polls `check` until it is true: for a card that the bot's own update replaces a moment later. */
async function until(check, what) {
  const end = Date.now() + CARD_WAIT;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Post `@CSPR Assistant <text>` as a new conversation in the open channel. */
async function mention(page, text) {
  await page.getByRole("textbox").first().click();
  await page.keyboard.type("@");
  await page.getByRole("menuitem", { name: "CSPR Assistant" }).click();
  await page.keyboard.type(` ${text}`);
  await page.getByRole("button", { name: "Post", exact: true }).click();
}

async function openChannel(page, name) {
  // The tree item is named "<team> - <channel>".
  await page.getByRole("treeitem", { name: new RegExp(`(^|- )${name}$`) }).click();
}

async function choose(page, scope, combobox, option) {
  await scope.getByRole("combobox", { name: combobox }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

async function next(page, step) {
  const current = await waitForCard(page, `Step ${step} of 6`);
  await screenshot(page, `notify-step-${step}`);
  await current.getByRole("button", { name: "Next", exact: true }).click();
}

// -- the test --------------------------------------------------------------------------------

describe("the bot in the Microsoft 365 Agents Playground", { timeout: 300_000 }, () => {
  let bot;
  let botPort;
  let admin;
  let practitioner;
  let hub;
  let csprgPort; // where the CSPR Group channel's posts go: the member's Playground, later
  let member;

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
    bot = await start("bot", PYTHON, ["-m", "bot_app"], {
      cwd: BOT_DIR,
      env,
      ready: /listening on http/,
    });
    h.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: process.env.E2E_HEADED !== "1",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  // What each open page showed when a step failed, next to the bot's log.
  afterEach(async (t) => {
    if (t.passed || !h.browser) return;
    for (const context of h.browser.contexts()) {
      for (const page of context.pages()) await screenshot(page, "FAILED").catch(() => {});
    }
  });

  after(async () => {
    await h.close();
  });

  it("lets the administrator register the Hub channel", async () => {
    admin = await playground(ADMIN, botPort, "personal-chat-chris");
    const page = await open(admin.url);
    await openChannel(page, "Hub");
    await mention(page, "register hub");
    await page.getByText("now the Hub channel").waitFor();
    await screenshot(page, "admin-registers-the-hub-channel");
    await page.context().close();
    // The channel's conversation reference now points at this Playground's connector: the
    // Hub officer's Playground takes over its port below, so the Hub's posts reach her.
    await stop(admin);

    // The CSPR Group's channel (the team's General: the Playground allows one channel more),
    // registered from an instance on another port, which the member's Playground takes later:
    // the vote card is posted there.
    const again = await playground(ADMIN, botPort, "personal-chat-chris", undefined, "-csprg");
    csprgPort = Number(again.ready[1]);
    const second = await open(again.url);
    await openChannel(second, "General");
    await mention(second, "register csprg");
    await second.getByText("now the CSPR Group channel").waitFor();
    await screenshot(second, "admin-registers-the-csprg-channel");
    await second.context().close();
    await stop(again);
  });

  it("welcomes the practitioner in his personal chat", async () => {
    // Two people at once: each Playground has its own personal chat id.
    hub = await playground(HUB_OFFICER, botPort, "personal-chat-priya", Number(admin.ready[1]));
    assert.equal(hub.ready[1], admin.ready[1], "the Hub officer's Playground took the channel's port");
    practitioner = await playground(PRACTITIONER, botPort, "personal-chat-tom");
    const page = await open(practitioner.url);
    practitioner.page = page;
    await waitForCard(page, "Hello Tom");
    await screenshot(page, "welcome");
  });

  it("answers help with what a practitioner can do", async () => {
    const page = practitioner.page;
    await say(page, "help");
    const help = await waitForCard(page, "What I can do for you");
    await help.getByText("notify", { exact: true }).waitFor();
    await screenshot(page, "help");
  });

  it("shows the statutory deadlines from an Action.Execute button", async () => {
    const page = practitioner.page;
    await card(page, "What I can do for you").getByRole("button", { name: "Show deadlines" }).click();
    await waitForCard(page, "Statutory deadlines");
    await screenshot(page, "deadlines-action-execute");
  });

  it("answers words that read like a child in danger now with 999 first, and a way to notify", async () => {
    const page = practitioner.page;
    await say(page, URGENT);
    const urgent = await waitForCard(page, CALL_999);
    await urgent.getByText(/If a child is in immediate danger call 999 - then follow your agency's safeguarding procedure/).waitFor();
    await urgent.getByRole("button", { name: "Start a notification", exact: true }).waitFor();
    await screenshot(page, "urgent-text-999-first");
  });

  it("takes a full notification, step by step, and sends it to the Hub", async () => {
    const page = practitioner.page;
    const hubPage = await open(hub.url);
    hub.page = hubPage;
    await openChannel(hubPage, "Hub"); // watch the channel as the card arrives

    // Started from the 999 answer's button (as if he had typed "notify").
    const before = await cards(page).count();
    await card(page, CALL_999).getByRole("button", { name: "Start a notification", exact: true }).click();
    let step = await waitForCard(page, "Step 1 of 6");
    // The directory knows Tom's agency: it is chosen already.
    const box = step.getByRole("combobox", { name: /Your agency/ });
    const agency = await box.evaluate((el) =>
      [el.value, el.textContent, el.getAttribute("value"), el.getAttribute("aria-valuetext")]
        .filter(Boolean)
        .join(" "),
    );
    const html = agency.includes(AGENCY) ? "" : await box.evaluate((el) => el.outerHTML);
    assert.ok(agency.includes(AGENCY), `the agency is pre-filled (shows ${agency}: ${html})`);
    await step.getByRole("textbox", { name: /Your role/ }).fill("Health visitor");
    await step.getByRole("checkbox", { name: /safeguarding lead/ }).check();
    await next(page, 1);

    step = await waitForCard(page, "Step 2 of 6");
    await pickDate(page, step, /Date of the incident/, new Date());
    await next(page, 2);

    step = await waitForCard(page, "Step 3 of 6");
    await step.getByRole("radio", { name: "The child died", exact: true }).check();
    await step.getByRole("radio", { name: "Suspected", exact: true }).check();
    await step.getByRole("checkbox", { name: /\bNeglect\b/ }).check();
    await step.getByRole("radio", { name: "None of these", exact: true }).check();
    await next(page, 3);

    step = await waitForCard(page, "Step 4 of 6");
    await choose(page, step, /Child's age/, "Under 1");
    await step.getByRole("checkbox", { name: /child protection plan/ }).check();
    await next(page, 4);

    await waitForCard(page, "Step 5 of 6");
    await next(page, 5);

    step = await waitForCard(page, "Step 6 of 6");
    await step.getByRole("textbox", { name: /initials/ }).fill(INITIALS);
    await step.getByRole("textbox", { name: /summary/ }).fill(SUMMARY);
    await next(page, 6);

    const review = await waitForCard(page, "Check and send");
    await review.getByText("Panel notification due").waitFor();
    await screenshot(page, "notify-check-and-send");
    await review.getByRole("button", { name: "Send to the Hub" }).click();

    const receipt = await waitForCard(page, `Notification received: ${REFERENCE}`);
    await receipt.getByText(/Sent to the Hub by Tom Reed at \d\d:\d\d/).waitFor();
    assert.equal(await receipt.getByRole("button").count(), 0, "the receipt has no live buttons");
    assert.equal(await receipt.locator("input, textarea, select").count(), 0, "nor inputs");
    // One card for the whole notification, replaced in place at every step: every card in the
    // chat is counted, not only the last one.
    const all = cards(page);
    assert.equal(await all.count(), before + 1, "the notification left exactly one card in the chat");
    assert.match(await all.last().innerText(), new RegExp(`Notification received: ${REFERENCE}`));
    const forms = page.locator(".ac-adaptiveCard", { hasText: /Step \d of 6|Check and send|Notification received/ });
    assert.equal(await forms.count(), 1, "no step of the form is left behind");
    assert.ok((await card(page, CALL_999).count()) === 1, "the 999 answer stays in the chat");
    await screenshot(page, "notify-received-one-card-left");
  });

  it("posts the case card, without the child's details, in the Hub channel", async () => {
    const page = hub.page;
    const hubCard = await waitForCard(page, `Case ${REFERENCE}`);
    await hubCard.getByText(AGENCY).waitFor();
    const text = await hubCard.innerText();
    for (const secret of [INITIALS, SUMMARY, "unresponsive", "Health visitor"]) {
      if (text.includes(secret)) throw new Error(`${secret} leaked into the Hub channel`);
    }
    await screenshot(page, "hub-channel-case-card");
  });

  it("lets the Hub record the Panel notification on the channel card (Action.Execute)", async () => {
    const page = hub.page;
    const hubCard = card(page, `Case ${REFERENCE}`);
    await hubCard.getByRole("button", { name: "Record Panel notification" }).click();
    // Typed as people do; before 9.40 in the morning (London), a time that has passed.
    const london = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London", hour: "2-digit", minute: "2-digit", hour12: false,
    }).format(new Date());
    const typed = london >= "09:40" ? "9.40am" : "12.01am";
    await hubCard.getByRole("textbox", { name: /Time/ }).fill(typed);
    await hubCard.getByRole("button", { name: "Record", exact: true }).click();
    const recorded = await waitForCard(page, "Panel notified on");
    await recorded.getByText(typed === "9.40am" ? /at 09:40/ : /at 00:01/).first().waitFor();
    await screenshot(page, "hub-records-panel-notification");
  });

  it("lets the Hub start the rapid review and open the CSPR Group vote from the case card", async () => {
    const page = hub.page;
    // The member watches the CSPR Group channel as the vote card arrives: his Playground
    // takes the port the channel was registered from.
    member = await playground(MEMBER, botPort, "personal-chat-sam", csprgPort);
    assert.equal(Number(member.ready[1]), csprgPort, "the member's Playground took the CSPR Group channel's port");
    member.gate = new Gate(/Who has voted/, /Your vote was recorded|Already recorded/);
    // Tall enough for the whole vote card in one screenshot.
    member.page = await open(member.url, { gate: member.gate, height: 2400 });
    await openChannel(member.page, "General");

    await card(page, `Case ${REFERENCE}`).getByRole("button", { name: "Start rapid review" }).click();
    const chooser = await waitForCard(page, `Start the rapid review: case ${REFERENCE}`);
    const school = chooser.getByRole("checkbox", { name: /Riverside Primary School/ });
    if (!(await school.isChecked())) await school.check();
    await screenshot(page, "hub-starts-the-rapid-review");
    await chooser.getByRole("button", { name: "Ask for reports" }).click();

    // The answer shows the tracker on the case card; a moment later the bot updates the case
    // card for everyone (the Playground runs no refresh, so the answer goes) and posts the
    // tracker as a message of its own: press the tracker's button once that has settled.
    const trackers = page.locator(".ac-adaptiveCard", { hasText: new RegExp(`Rapid review: case ${REFERENCE}`) });
    const caseCards = page.locator(".ac-adaptiveCard", { hasText: new RegExp(`Case ${REFERENCE}`) });
    await until(
      async () => (await trackers.count()) === 1 && (await caseCards.count()) === 1,
      "the case card updated and the tracker posted",
    );
    const tracker = trackers.last();
    await tracker.scrollIntoViewIfNeeded();
    await tracker.getByRole("button", { name: "Open the CSPR Group vote" }).click();
    // No agency report is in yet: the Hub is asked first.
    const ask = await waitForCard(page, `Open the CSPR Group vote: case ${REFERENCE}`);
    await ask.getByText(/agency reports? (is|are) not in/).waitFor();
    await screenshot(page, "hub-asked-to-open-the-vote-anyway");
    await ask.getByRole("button", { name: "Open the vote anyway" }).click();
    await waitForCard(member.page, `CSPR Group vote: case ${REFERENCE}`);
    await until(async () => (await trackers.filter({ hasText: /Open until/ }).count()) === 1, "the tracker says the vote is open");
    await screenshot(page, "hub-opened-the-vote");
  });

  it("takes a CSPR Group member's vote on the channel card, with a receipt; a second press is already recorded", async () => {
    const page = member.page;
    const vote = await waitForCard(page, `CSPR Group vote: case ${REFERENCE}`);
    await cardShot(vote, "csprg-vote-card");
    await vote.getByRole("radio", { name: CHOICE, exact: true }).check();
    await vote.getByRole("checkbox", { name: /two or more agencies working together/ }).check();
    await vote.getByRole("textbox", { name: /Your rationale/ }).fill(RATIONALE);
    // The bot updates the shared card for everyone a moment after answering: held back until
    // the receipt has been looked at (and pressed again, as a double click would).
    member.gate.close();
    await vote.getByRole("button", { name: "Vote", exact: true }).click();

    const receipt = await waitForCard(page, "Your vote was recorded");
    const said = await receipt.innerText();
    const recorded = new RegExp(`Your vote was recorded: ${CHOICE}, at (\\d\\d:\\d\\d)`).exec(said);
    assert.ok(recorded, `the receipt says the choice and the time: ${said}`);
    const time = recorded[1];
    assert.match(said, new RegExp(`You voted: ${CHOICE}, ${time} on `));
    await cardShot(receipt, "csprg-vote-receipt");

    // The same vote again (the receipt keeps it filled in): nothing new is recorded.
    await receipt.getByRole("button", { name: "Change my vote", exact: true }).click();
    const already = page.getByText(new RegExp(`Already recorded at ${time} on .*: you voted ${CHOICE}`)).first();
    await already.waitFor();
    const answer = page.locator(".ac-adaptiveCard", { hasText: "Already recorded" }).last();
    await ((await answer.count()) ? cardShot(answer, "csprg-vote-already-recorded") : screenshot(page, "csprg-vote-already-recorded"));

    // What a client without `refresh` shows once the shared update lands: who voted and when,
    // never how, and an empty form.
    member.gate.open();
    await page.locator(".ac-adaptiveCard", { hasText: "Already recorded" }).waitFor({ state: "detached" });
    const shared = await waitForCard(page, `CSPR Group vote: case ${REFERENCE}`);
    await shared.getByText(new RegExp(`Voted at ${time} on `)).waitFor();
    assert.equal(await shared.getByRole("textbox", { name: /Your rationale/ }).inputValue(), "");
    assert.ok(!(await shared.innerText()).includes(RATIONALE), "the rationale is not on the shared card");
    await cardShot(shared, "csprg-vote-card-shared-after-the-vote");

    // A client without `refresh` gets the member's own view back on request.
    await shared.getByRole("button", { name: "Show my vote", exact: true }).click();
    const mine = page.getByText(new RegExp(`You voted: ${CHOICE}, ${time} on `)).first();
    await mine.waitFor();
    await screenshot(page, "csprg-vote-show-my-vote");
  });
});
