// The sandbox page: a small Slack-like workspace in the browser for trying the bot.
//
// It polls GET /sandbox/state, re-renders only the parts whose data changed, and turns
// what the person does (messages, slash commands, clicks, modal submissions) into POSTs
// on the sandbox's JSON API. Block Kit is drawn by ./blockkit.js.

import * as bk from "./blockkit.js";

const { mrkdwn, renderBlocks, renderModal, collectValues } = bk;

const POLL_MS = 700;
// Right after the person does something the bot's answer is on its way (a reply through the
// response_url, a card updated): look more often for a moment, so it shows at once.
const BURST_MS = 120;
const BURST_FOR_MS = 2500;
const POLL_HIDDEN_MS = 3000; // while the tab is in the background
const RETRY_MS = 2000; // while the server does not answer
const NEAR_BOTTOM_PX = 48;
const NARROW = window.matchMedia("(max-width: 760px)");
const LS_PERSONA = "sandbox.persona";
const LS_SELECTION = "sandbox.selection";
const RELOAD = "/sandbox/reload";

const ROLE_HINTS = {
  adviser: "Refers residents with /handover and follows them in App Home.",
  provider: "Accepts or declines handovers in their organisation's channel.",
  coordinator: "Routes handovers no provider could take, and sees the whole network.",
};
// Someone from another organisation's own workspace, met in a Slack Connect channel.
const PARTNER_HINT = "Refers residents with the Refer a resident button in #partners-shared.";
const COMMANDS =
  "A command for the app: /handover opens the referral form; /handover help lists every command.";
const ENTER_HINT = "Enter to send · Shift+Enter for a new line · /handover help lists the commands";

// -- icons (inline SVG: emoji fonts are not everywhere) -------------------------------------

const SVG = (body) =>
  `<svg viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true" focusable="false">${body}</svg>`;
const ICONS = {
  app: SVG('<path d="M4 8.5h13l-3.5-3.5M20 15.5H7l3.5 3.5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>'),
  eye: SVG('<path d="M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="12" r="3" fill="currentColor"/>'),
  file: SVG('<path d="M6 2.5h8l5 5v14H6z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M14 2.5v5h5" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>'),
  thread: SVG('<path d="M4 4.5h16v11.5H10l-6 4.5z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>'),
};

function icon(name, cls = "icon") {
  return h("span", { class: cls, "aria-hidden": "true", html: ICONS[name] });
}

// -- elements -------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const ui = {
  app: $("app"),
  wsName: $("ws-name"),
  persona: $("persona"),
  personaOrg: $("persona-org"),
  personaHint: $("persona-hint"),
  sbToggle: $("sb-toggle"),
  sbNav: $("sb-nav"),
  sbScrim: $("sb-scrim"),
  channelList: $("channel-list"),
  appName: $("app-name"),
  convHome: $("conv-home"),
  convDm: $("conv-dm"),
  reset: $("reset"),
  resetConfirm: $("reset-confirm"),
  main: $("main"),
  convTitle: $("conv-title"),
  convTabs: $("conv-tabs"),
  convMe: $("conv-me"),
  messages: $("messages"),
  empty: $("empty"),
  list: $("message-list"),
  home: $("home"),
  newPill: $("new-pill"),
  composerForm: $("composer-form"),
  composer: $("composer"),
  composerLabel: $("composer-label"),
  composerHint: $("composer-hint"),
  thread: $("thread"),
  threadWhere: $("thread-where"),
  threadClose: $("thread-close"),
  threadBody: $("thread-body"),
  threadRoot: $("thread-root"),
  threadCount: $("thread-count"),
  threadReplies: $("thread-replies"),
  threadForm: $("thread-form"),
  threadComposer: $("thread-composer"),
  modal: $("modal"),
  modalHolder: $("modal-holder"),
  error: $("error"),
  errorText: $("error-text"),
  errorClose: $("error-close"),
  live: $("live"),
};

// -- what the person has chosen -------------------------------------------------------------

function readJSON(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, typeof value === "string" ? value : JSON.stringify(value));
  } catch {
    /* private mode: the choice is simply not remembered */
  }
}

const store = {
  persona: (() => {
    try {
      return localStorage.getItem(LS_PERSONA) || "";
    } catch {
      return "";
    }
  })(),
  // {kind: "channel", id} | {kind: "home"} | {kind: "dm"}: the DM is "the app's Messages
  // tab", whoever the persona is, so it survives a persona switch.
  sel: validSelection(readJSON(LS_SELECTION)),
  thread: null, // ts of the open thread
};

function validSelection(sel) {
  if (!sel || typeof sel !== "object") return null;
  if (sel.kind === "home" || sel.kind === "dm") return { kind: sel.kind };
  if (sel.kind === "channel" && typeof sel.id === "string" && sel.id) return { kind: "channel", id: sel.id };
  return null;
}

let state = null; // the last state applied
let markReady;
const ready = new Promise((resolve) => (markReady = resolve)); // the first state is on screen
let applied = { version: null, key: "" }; // what the screen shows
const drafts = new Map(); // "persona|conv" -> unsent text

function dmId() {
  if (state && state.me && state.me.id === store.persona && state.sidebar?.app?.dm) {
    return state.sidebar.app.dm;
  }
  return store.persona ? `D${store.persona}` : ""; // a guess; corrected by the next state
}

function convIdOf(sel) {
  if (!sel) return "";
  if (sel.kind === "home") return "home";
  if (sel.kind === "dm") return dmId();
  return sel.id;
}

function wanted() {
  if (probing) return { as: store.persona, conv: "", thread: "" };
  return { as: store.persona, conv: convIdOf(store.sel), thread: store.thread || "" };
}

const paramsKey = (p) => `${p.as}|${p.conv}|${p.thread}`;

// -- talking to the server ------------------------------------------------------------------

let fetching = false;
let fetchAgain = false;
let fetchCounter = 0;
let pollTimer = null;
let offline = false;
let refusals = 0; // state requests refused in a row
let probing = false; // the next state request asks without a conversation

let burstUntil = 0;

function schedule(ms) {
  clearTimeout(pollTimer);
  const every = document.hidden ? POLL_HIDDEN_MS : performance.now() < burstUntil ? BURST_MS : POLL_MS;
  pollTimer = setTimeout(refresh, ms ?? every);
}

async function refresh() {
  if (fetching) {
    fetchAgain = true;
    return;
  }
  fetching = true;
  fetchAgain = false;
  clearTimeout(pollTimer);
  const seq = ++fetchCounter;
  const params = wanted();
  const probe = probing;
  probing = false;
  let retryIn;
  try {
    const query = new URLSearchParams(params);
    const res = await fetch(`/sandbox/state?${query}`, { cache: "no-store" });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok || !data || data.ok === false || !Array.isArray(data.personas)) {
      const why =
        data?.error ||
        `Cannot load the workspace: the server answered ${`${res.status} ${res.statusText || ""}`.trim()}. ` +
          "Is this page served by python app.py --sandbox?";
      refusals += 1;
      if (params.conv && res.status < 500 && refusals <= 2) {
        // Perhaps this persona cannot see that conversation (or its DM has another id):
        // ask without one, then pick again from what the sidebar offers.
        probing = true;
        fetchAgain = true;
      } else {
        showError(why, "state");
        retryIn = RETRY_MS;
      }
    } else {
      if (offline || ui.error.dataset.kind === "state") clearError("state");
      offline = false;
      if (probe) {
        // Only to learn the sidebar: choose a conversation from it and ask again.
        state = data;
        resolvePersona(data);
        resolveSelection(data);
        renderSidebar(data);
        fetchAgain = true;
      } else if (paramsKey(params) !== paramsKey(wanted())) {
        fetchAgain = true; // chosen meanwhile
      } else {
        refusals = 0;
        apply(data, params, seq);
      }
    }
  } catch (error) {
    offline = true;
    showError(
      "The sandbox server is not answering. Is it still running? Trying again…",
      "state",
    );
    retryIn = RETRY_MS;
    console.error(error);
  } finally {
    fetching = false;
    if (fetchAgain) {
      fetchAgain = false;
      queueMicrotask(refresh);
    } else {
      schedule(retryIn);
    }
  }
}

let started = null; // the page's first request, which every other POST waits for

/** POST JSON; shows the error when the answer is not ok; always polls again right after. */
async function post(path, body) {
  let data;
  if (started && path !== RELOAD) await started;
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!data || typeof data !== "object") {
      data = { ok: false, error: `The sandbox answered ${res.status} ${res.statusText || ""}`.trim() + "." };
    } else if (!res.ok && data.ok !== true) {
      data.ok = false;
    }
    if (data.ok !== true) {
      data.ok = false;
      showError(data.error || `Something went wrong (${path}).`);
    }
  } catch (error) {
    console.error(error);
    data = { ok: false, error: "The sandbox server is not answering." };
    showError("The sandbox server is not answering. Is it still running?");
  }
  data.seq = fetchCounter + 1; // a state fetched from now on already has this change
  burstUntil = performance.now() + BURST_FOR_MS;
  refresh();
  return data;
}

function openHome() {
  if (store.persona) post("/sandbox/home", { as: store.persona });
}

// -- applying a state -----------------------------------------------------------------------

function apply(data, params, seq) {
  resolvePersona(data);
  state = data;
  // The network's way of writing dates (en-GB for a UK network), not the browser's.
  if (data.dates?.locale) document.documentElement.lang = data.dates.locale;
  renderSidebar(data);
  if (store.persona !== params.as) {
    fetchAgain = true;
    return;
  }

  // Where: keep the conversation if this persona can see it, else its first channel or Home.
  if (resolveSelection(data)) renderSidebar(data);
  if (convIdOf(store.sel) !== params.conv) {
    fetchAgain = true;
    return;
  }

  settleModalBarriers(seq);
  const key = paramsKey(params);
  if (data.version === applied.version && key === applied.key && data.version !== undefined) {
    renderModalState(data.modal); // a barrier may have lifted
    return;
  }
  applied = { version: data.version, key };

  renderHeader(data);
  renderConversation(data, params);
  renderThread(data, params);
  renderModalState(data.modal);
  markReady();
}

/** Who: the remembered persona if it still exists, else the first adviser. */
function resolvePersona(data) {
  const personas = data.personas || [];
  if (personas.some((p) => p.id === store.persona)) return;
  const first = personas.find((p) => p.role === "adviser") || personas[0] || data.me;
  if (first?.id && first.id !== store.persona) {
    store.persona = first.id;
    remember(LS_PERSONA, first.id);
    if (store.sel?.kind === "home") openHome();
  }
}

/** Keep the selection if this persona can see it, else its first channel (or Home). */
function resolveSelection(data) {
  const sidebar = data.sidebar || {};
  const channels = sidebar.channels || [];
  const sel = store.sel;
  const visible =
    sel &&
    (sel.kind === "home" ||
      (sel.kind === "dm" && sidebar.app?.dm) ||
      (sel.kind === "channel" && channels.some((c) => c.id === sel.id)));
  if (visible) return false;
  setSelection(channels.length ? { kind: "channel", id: channels[0].id } : { kind: "home" });
  if (store.sel.kind === "home") openHome();
  return true;
}

// -- sidebar --------------------------------------------------------------------------------

let personasKey = "";
let channelsKey = "";

function renderSidebar(data) {
  const team = data.team?.name || "Workspace";
  ui.wsName.textContent = team;

  const key = JSON.stringify(data.personas || []);
  if (key !== personasKey) {
    personasKey = key;
    buildPersonaSelect(data.personas || []);
  }
  if (ui.persona.value !== store.persona) ui.persona.value = store.persona;
  const me = (data.personas || []).find((p) => p.id === store.persona) || data.me;
  ui.personaOrg.textContent = me ? [me.org, me.title].filter(Boolean).join(" · ") : "";
  ui.personaHint.textContent = me ? (me.team ? PARTNER_HINT : ROLE_HINTS[me.role] || "") : "";

  const channels = data.sidebar?.channels || [];
  const chKey = JSON.stringify(channels);
  if (chKey !== channelsKey) {
    channelsKey = chKey;
    const focused = document.activeElement?.dataset?.conv;
    ui.channelList.replaceChildren(
      ...channels.map((c) => {
        const a = h("a", {
          class: "sb-item",
          href: `#${c.id}`,
          "data-testid": `conv-${c.id}`,
          "data-conv": c.id,
          title: `#${c.name}`,
        });
        a.append(h("span", { class: "sb-item-icon sb-hash", "aria-hidden": "true", text: "#" }));
        a.append(h("span", { class: "sb-item-label", text: c.name }));
        return h("li", {}, a);
      }),
    );
    if (!channels.length) {
      ui.channelList.append(h("li", { class: "sb-none", text: "Not in any channel" }));
    }
    if (focused) ui.channelList.querySelector(`[data-conv="${CSS.escape(focused)}"]`)?.focus();
  }
  ui.appName.textContent = data.sidebar?.app?.name || "Warm Handover";
  markCurrent();
}

function markCurrent() {
  const current = store.sel?.kind === "channel" ? store.sel.id : store.sel?.kind;
  for (const a of document.querySelectorAll("[data-conv]")) {
    if (a.dataset.conv === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** One group per organisation, in the order the sandbox gives them (the advisers' job club,
 * each provider, the council), each person with where they work and their role: after a
 * handover goes to a provider, that provider's staff are found under its name. */
function buildPersonaSelect(personas) {
  const groups = new Map();
  for (const p of personas) {
    const org = p.org || cap(p.role || "Others");
    if (!groups.has(org)) groups.set(org, []);
    groups.get(org).push(p);
  }
  const nodes = [];
  for (const [org, people] of groups) {
    const group = h("optgroup", { label: org });
    for (const p of people) group.append(h("option", { value: p.id, text: personaLabel(p) }));
    nodes.push(group);
  }
  ui.persona.replaceChildren(...nodes);
  ui.persona.value = store.persona;
}

/** "Priya Shah · Northside CV Clinic · provider staff" */
function personaLabel(p) {
  return [p.name, p.org, p.title || p.role].filter(Boolean).join(" · ");
}

function setSelection(sel) {
  store.sel = sel;
  remember(LS_SELECTION, sel);
  markCurrent();
}

/** The person picked a conversation. */
function choose(sel, { focus = true } = {}) {
  const before = convIdOf(store.sel);
  saveDraft();
  setSelection(sel);
  closeDrawer(false);
  if (store.thread) closeThread({ focusBack: false });
  if (sel.kind === "home") openHome();
  if (convIdOf(sel) !== before) {
    ui.main.setAttribute("aria-busy", "true");
  }
  renderHeader(state);
  restoreDraft();
  refresh();
  if (focus) {
    if (sel.kind === "home") ui.home.focus();
    else ui.composer.focus();
  }
}

function choosePersona(id) {
  if (!id || id === store.persona) return;
  saveDraft();
  store.persona = id;
  remember(LS_PERSONA, id);
  if (store.thread) closeThread({ focusBack: false });
  if (store.sel?.kind === "home") openHome();
  const p = state?.personas?.find((x) => x.id === id);
  if (p) announce(`You are now ${personaLabel(p).replaceAll(" · ", ", ")}.`);
  restoreDraft();
  refresh();
}

ui.persona.addEventListener("change", () => choosePersona(ui.persona.value));

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-conv]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  const conv = link.dataset.conv;
  choose(conv === "home" || conv === "dm" ? { kind: conv } : { kind: "channel", id: conv });
});

// Narrow windows: the channel list is a drawer under the top bar.
function measureTopBar() {
  const bottom = document.getElementById("sidebar").getBoundingClientRect().bottom;
  document.documentElement.style.setProperty("--topbar-h", `${Math.max(0, Math.round(bottom))}px`);
}

function openDrawer() {
  measureTopBar();
  ui.sbToggle.setAttribute("aria-expanded", "true");
  ui.sbToggle.setAttribute("aria-label", "Hide channels");
  document.body.classList.add("drawer-open");
  ui.sbScrim.hidden = false;
  ui.main.inert = true;
  ui.thread.inert = true;
  (ui.sbNav.querySelector('[aria-current="page"]') || ui.sbNav.querySelector("a, button"))?.focus();
}

function closeDrawer(focusToggle = true) {
  if (!document.body.classList.contains("drawer-open")) return;
  ui.sbToggle.setAttribute("aria-expanded", "false");
  ui.sbToggle.setAttribute("aria-label", "Show channels");
  document.body.classList.remove("drawer-open");
  ui.sbScrim.hidden = true;
  ui.main.inert = false;
  ui.thread.inert = false;
  syncThreadInert();
  if (focusToggle) ui.sbToggle.focus();
}

ui.sbToggle.addEventListener("click", () => {
  if (document.body.classList.contains("drawer-open")) closeDrawer();
  else openDrawer();
});
ui.sbScrim.addEventListener("click", () => closeDrawer());
window.addEventListener("resize", () => {
  if (document.body.classList.contains("drawer-open")) measureTopBar();
  autosize(ui.composer);
  autosize(ui.threadComposer);
});
NARROW.addEventListener("change", () => {
  if (!NARROW.matches) closeDrawer(false);
  syncThreadInert();
});

// Reset demo, after asking.
ui.reset.addEventListener("click", () => {
  ui.resetConfirm.returnValue = "";
  ui.resetConfirm.showModal();
  ui.app.setAttribute("aria-hidden", "true"); // showModal makes it inert; say so to every tool
});
ui.resetConfirm.addEventListener("close", async () => {
  if (!modalUI.el) ui.app.removeAttribute("aria-hidden");
  if (ui.resetConfirm.returnValue !== "reset") {
    ui.reset.focus();
    return;
  }
  closeDrawer(false);
  const answer = await post("/sandbox/reset", {});
  if (answer.ok) {
    drafts.clear();
    ui.composer.value = "";
    ui.threadComposer.value = "";
    autosize(ui.composer);
    updateHint();
    if (store.thread) closeThread({ focusBack: false });
    resetList(ui.list);
    applied = { version: null, key: "" };
    if (store.sel?.kind === "home") openHome();
    announce("The demo has started again.");
  }
  ui.reset.focus();
});

// -- header ---------------------------------------------------------------------------------

function currentConvLabel(data) {
  const sel = store.sel;
  const appName = data?.sidebar?.app?.name || "Warm Handover";
  if (!sel) return "";
  if (sel.kind === "home") return `${appName} · Home`;
  if (sel.kind === "dm") return `${appName} · Messages`;
  const name =
    data?.sidebar?.channels?.find((c) => c.id === sel.id)?.name ||
    data?.channels?.[sel.id] ||
    (data?.conversation?.id === sel.id ? data.conversation.name : "");
  return name ? `#${name}` : "";
}

function renderHeader(data) {
  const sel = store.sel;
  const appName = data?.sidebar?.app?.name || "Warm Handover";
  const team = data?.team?.name || "Workspace";
  const isApp = sel && sel.kind !== "channel";
  ui.convTitle.replaceChildren();
  if (!sel) {
    ui.convTitle.textContent = "…";
  } else if (isApp) {
    ui.convTitle.append(
      icon("app", "conv-app-icon"),
      h("span", { text: appName }),
      h("span", { class: "sr-only", text: sel.kind === "home" ? " – Home" : " – Messages" }),
    );
  } else {
    const label = currentConvLabel(data).replace(/^#/, "") || "…";
    ui.convTitle.append(
      h("span", { class: "conv-hash", "aria-hidden": "true", text: "#" }),
      h("span", { text: label }),
    );
  }
  ui.convTabs.hidden = !isApp;
  markCurrent();

  const me = data?.me?.id === store.persona ? data.me : data?.personas?.find((p) => p.id === store.persona);
  ui.convMe.replaceChildren();
  if (me) {
    ui.convMe.append(
      avatar(me.id, me.name),
      h("span", { class: "conv-me-text" }, h("span", { class: "conv-me-name", text: me.name }), h("span", { class: "conv-me-title", text: me.org || me.title || "" })),
    );
    ui.convMe.setAttribute("aria-label", `Signed in as ${personaLabel(me).replaceAll(" · ", ", ")}`);
  }

  const label = currentConvLabel(data);
  if (data) document.title = label ? `${label} – ${team}` : `${team} – sandbox`;

  // The composer follows the conversation.
  ui.composerForm.hidden = !sel || sel.kind === "home";
  const where = sel?.kind === "channel" ? currentConvLabel(data) || "this channel" : appName;
  ui.composer.placeholder = `Message ${where} — type /handover to refer a resident`;
  ui.composerLabel.textContent = `Message ${where}`;
  ui.messages.setAttribute("aria-label", `Messages in ${where}`);
  autosize(ui.composer);
}

// -- conversation ---------------------------------------------------------------------------

function ctxFor(extra) {
  return {
    users: state?.users || {},
    channels: state?.channels || {},
    locale: state?.dates?.locale,
    timeZone: state?.dates?.timezone,
    ...extra,
  };
}

function appUserIds() {
  const name = state?.sidebar?.app?.name || "Warm Handover";
  return new Set(Object.entries(state?.users || {}).filter(([, n]) => n === name).map(([id]) => id));
}

let homeKey = null;

function renderConversation(data, params) {
  ui.main.removeAttribute("aria-busy");
  const conv = data.conversation;
  const kind = conv?.kind || (params.conv === "home" ? "home" : "channel");
  const isHome = kind === "home";
  ui.messages.hidden = isHome;
  ui.home.hidden = !isHome;
  if (isHome) {
    ui.newPill.hidden = true;
    renderHome(conv?.home ?? null, params);
    return;
  }
  homeKey = null;
  const messages = conv?.messages || [];
  renderEmpty(conv, messages.length === 0, data);
  renderList(ui.list, messages, {
    owner: `${params.as}|${params.conv}`,
    conv: params.conv,
    scroller: ui.messages,
    inThread: false,
    onNewBelow: () => (ui.newPill.hidden = false),
  });
}

function renderEmpty(conv, isEmpty, data) {
  ui.empty.hidden = !isEmpty;
  if (!isEmpty) return;
  const role = data.me?.role;
  const kind = conv?.kind || "channel";
  const code = (text) => h("code", { text });
  const nodes = [];
  if (kind === "dm") {
    nodes.push(
      icon("app", "empty-icon empty-icon-app"),
      h("h3", { class: "empty-title", text: `This is your conversation with ${data.sidebar?.app?.name || "the app"}` }),
      h("p", {}, "It tells you here about each referral: where it went, who picked it up and how it ended. Type ", code("/handover"), " to refer a resident, or ", code("/handover help"), " for the commands."),
    );
  } else {
    const name = conv?.name || currentConvLabel(data).replace(/^#/, "");
    nodes.push(
      h("div", { class: "empty-icon", "aria-hidden": "true", text: "#" }),
      h("h3", { class: "empty-title", text: `This is the very beginning of #${name}` }),
    );
  }
  const tip = h("div", { class: "howto" }, h("h4", { class: "howto-title", text: "How to try it" }));
  const steps = h("ol", { class: "howto-steps" });
  const step = (...parts) => steps.append(h("li", {}, ...parts));
  if (role === "provider") {
    step("Handovers for your organisation arrive in its channel as cards.");
    step("To send one, pick an adviser in the persona menu and type ", code("/handover"), ".");
    step("Come back as this person and press ", h("strong", { text: "Accept" }), " or ", h("strong", { text: "Decline" }), " on the card.");
  } else if (role === "coordinator") {
    step("Handovers no provider can take come to the coordinators' channel, with a ", h("strong", { text: "Route to…" }), " menu.");
    step("Try ", code("/handover providers"), " to see who offers what, or open Home for the network's counts.");
  } else {
    step("As an adviser, type ", code("/handover"), " here and fill in the form.");
    step("Then switch to the provider's staff (persona menu) and accept it in their channel.");
    step("Open ", h("strong", { text: "Resident's phone" }), ": the resident's text says who will contact them, and by when.");
    step("Come back: the app tells you in Messages, and Home lists your referrals.");
  }
  tip.append(steps);
  nodes.push(tip);
  ui.empty.replaceChildren(...nodes);
}

function renderHome(home, params) {
  if (!home) {
    if (homeKey !== "waiting") {
      homeKey = "waiting";
      ui.home.replaceChildren(h("p", { class: "home-loading", role: "status", text: "Opening…" }));
    }
    return;
  }
  const key = JSON.stringify([params.as, home, state?.users, state?.channels]);
  if (key === homeKey) return;
  const focusRef = focusReference(ui.home);
  homeKey = key;
  const blocks = renderBlocks(home.blocks || [], ctxFor({
    onAction: (action) =>
      post("/sandbox/action", {
        as: store.persona,
        conv: "home",
        surface: "home",
        ...(home.id ? { view_id: home.id } : {}),
        action,
      }),
  }));
  ui.home.replaceChildren(h("div", { class: "home-inner" }, blocks));
  restoreFocus(ui.home, focusRef);
}

// -- messages -------------------------------------------------------------------------------

function resetList(container) {
  container._cache = null;
  container._owner = null;
  container.replaceChildren();
}

/**
 * Keyed rendering: a message is rebuilt only when it changed, so focus, open selects and
 * the scroll position survive polling.
 */
function renderList(container, messages, opts) {
  const scroller = opts.scroller;
  const first = container._owner !== opts.owner;
  if (first) {
    container._cache = new Map();
    container._owner = opts.owner;
    container.replaceChildren();
  }
  const cache = container._cache;
  const atBottom = first || isNearBottom(scroller) || opts.forceBottom;
  const ctxKey = JSON.stringify([state?.users, state?.channels, store.persona]);
  const seen = new Map();
  const next = new Map();
  const nodes = [];
  const added = [];
  for (const m of messages) {
    let key = `${m.ts}${m.ephemeral ? "~e" : ""}`;
    const n = seen.get(key) || 0;
    seen.set(key, n + 1);
    if (n) key += `#${n}`;
    const sig = JSON.stringify(m) + ctxKey + (opts.inThread ? "t" : "");
    let entry = cache.get(key);
    if (!entry || entry.sig !== sig) {
      const ref = entry ? focusReference(entry.el) : null;
      const el = messageEl(m, opts);
      if (entry) el._replaced = { old: entry.el, ref };
      else if (!first) added.push(m);
      entry = { sig, el };
    }
    next.set(key, entry);
    nodes.push(entry.el);
  }
  // Changed messages take the place of their old copies (focus follows them)...
  for (const node of nodes) {
    if (!node._replaced) continue;
    const { old, ref } = node._replaced;
    delete node._replaced;
    if (old.parentNode === container) old.replaceWith(node);
    if (ref) restoreFocus(node, ref);
  }
  // ...then everything is put in order, touching only what moved.
  let cursor = container.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
    } else {
      container.insertBefore(node, cursor);
    }
  }
  while (cursor) {
    const gone = cursor;
    cursor = cursor.nextSibling;
    gone.remove();
  }
  container._cache = next;
  groupRuns(container);

  if (atBottom) scrollToBottom(scroller);
  else if (added.length && opts.onNewBelow) opts.onNewBelow();
  for (const m of added) {
    if (m.user === store.persona && !m.ephemeral) continue;
    const who = m.ephemeral
      ? state?.sidebar?.app?.name || "The app"
      : m.user_name || state?.users?.[m.user] || "Someone";
    announce(`${opts.inThread ? "Reply from " : ""}${who}: ${messageSummary(m)}`);
  }
}

/** Slack's compact look: a message right after one from the same person drops its header. */
function groupRuns(container) {
  let prev = null;
  for (const node of container.children) {
    const same =
      prev &&
      !prev.dataset.ephemeral &&
      !node.dataset.ephemeral &&
      prev.dataset.user &&
      prev.dataset.user === node.dataset.user &&
      Math.abs(Number(node.dataset.at) - Number(prev.dataset.at)) < 300;
    node.classList.toggle("msg-cont", Boolean(same));
    prev = node;
  }
}

function messageSummary(m) {
  let text = m.text || "";
  if (!text && m.blocks?.length) {
    const probe = renderBlocks(m.blocks, ctxFor({}));
    text = probe.textContent || "";
  } else {
    const tpl = document.createElement("template");
    tpl.innerHTML = mrkdwn(text, ctxFor({}));
    text = tpl.content.textContent || "";
  }
  text = text.replace(/\s+/g, " ").trim();
  if (text.length > 220) text = `${text.slice(0, 217)}…`;
  return (m.ephemeral ? "(only visible to you) " : "") + (text || (m.files?.length ? "shared a file" : ""));
}

let msgSerial = 0;

function messageEl(m, opts) {
  const id = `m${++msgSerial}`;
  const appName = state?.sidebar?.app?.name || "Warm Handover";
  let name = m.user_name || state?.users?.[m.user] || m.user || "Unknown";
  let isApp = appUserIds().has(m.user) || Boolean(m.bot_id) || name === appName;
  if (m.ephemeral && !isApp) {
    // Only the app posts ephemeral messages (chat.postEphemeral's user is the reader).
    isApp = true;
    name = appName;
  }
  const art = h("article", {
    class: `msg${m.ephemeral ? " msg-ephemeral" : ""}${isApp ? " msg-app" : ""}${m.user === store.persona ? " msg-mine" : ""}`,
    "data-testid": "message",
    "data-ts": m.ts,
    "aria-labelledby": `${id}-name ${id}-time`,
  });
  if (m.ephemeral) art.dataset.ephemeral = "true";
  art.dataset.user = isApp ? "app" : m.user || "";
  art.dataset.at = String(Number.parseFloat(m.ts) || 0);

  art.append(avatar(m.user, name, isApp));
  const body = h("div", { class: "msg-main" });
  const meta = h("div", { class: "msg-meta" });
  meta.append(h("span", { class: "msg-name", id: `${id}-name`, text: name }));
  if (isApp) meta.append(h("span", { class: "msg-badge", text: "App" }));
  const when = tsDate(m.ts);
  meta.append(
    h("time", {
      class: "msg-time",
      id: `${id}-time`,
      datetime: when ? when.toISOString() : "",
      title: when ? writeTime(when, { dateStyle: "full", timeStyle: "short" }) : "",
      text: when ? writeTime(when, { timeStyle: "short" }) : "",
    }),
  );
  body.append(meta);

  if (m.ephemeral) {
    body.append(
      h("p", { class: "msg-only-you" }, icon("eye", "eye"), "Only visible to you"),
    );
  }

  const content = h("div", { class: "msg-body" });
  const ctx = ctxFor({
    onAction: (action) => messageAction(m, action, art),
  });
  if (Array.isArray(m.blocks) && m.blocks.length) {
    content.append(renderBlocks(m.blocks, ctx));
  } else if (m.text) {
    content.append(h("div", { class: "msg-text bk-mrkdwn", html: mrkdwn(m.text, ctx) }));
  }
  if (m.edited) content.append(h("span", { class: "msg-edited", text: "(edited)" }));
  body.append(content);

  if (m.files?.length) body.append(filesEl(m.files));

  if (!opts.inThread && m.reply_count > 0) {
    const n = m.reply_count;
    body.append(
      h("button", {
        type: "button",
        class: "msg-replies",
        "data-thread-ts": m.ts,
        "aria-label": `${n} ${n === 1 ? "reply" : "replies"}: open the thread`,
        text: `${n} ${n === 1 ? "reply" : "replies"}`,
        onclick: () => openThread(m.ts),
      }),
    );
  }
  art.append(body);

  if (!opts.inThread && !m.ephemeral && !(m.reply_count > 0)) {
    art.append(
      h(
        "div",
        { class: "msg-tools" },
        h("button", {
          type: "button",
          class: "msg-tool",
          "data-thread-ts": m.ts,
          "aria-label": `Reply in thread to ${name}`,
          title: "Reply in thread",
          html: ICONS.thread,
          onclick: () => openThread(m.ts),
        }),
      ),
    );
  }
  return art;
}

function messageAction(m, action, art) {
  const conv = convIdOf(store.sel);
  art.classList.add("msg-busy");
  post("/sandbox/action", {
    as: store.persona,
    conv,
    message_ts: m.ts,
    surface: "message",
    action,
  }).finally(() => art.classList.remove("msg-busy"));
}

function filesEl(files) {
  const wrap = h("div", { class: "msg-files" });
  for (const f of files) {
    const title = f.title || f.name || "file";
    if (/^image\//.test(f.mimetype || "") && f.url) {
      const img = h("img", { class: "file-image", src: f.url, alt: title, loading: "lazy" });
      img.addEventListener("load", () => {
        const scroller = img.closest(".messages, .thread-body");
        if (scroller && scroller._stick) scrollToBottom(scroller);
      });
      wrap.append(
        h(
          "figure",
          { class: "file file-figure" },
          h("figcaption", { class: "file-caption", "aria-hidden": "true", text: title }),
          h("a", { href: f.url, target: "_blank", rel: "noopener", class: "file-image-link", title: `Open ${title}` }, img),
        ),
      );
    } else {
      wrap.append(
        h(
          "a",
          { class: "file file-download", href: f.url || "#", download: title },
          icon("file", "file-icon"),
          h("span", { class: "file-text" },
            h("span", { class: "file-title", text: title }),
            h("span", { class: "file-kind", text: fileKind(f) }),
          ),
          h("span", { class: "sr-only", text: " (download)" }),
        ),
      );
    }
  }
  return wrap;
}

function fileKind(f) {
  const type = (f.mimetype || "").split("/")[1] || "";
  const ext = (f.title || "").match(/\.([a-z0-9]{1,5})$/i)?.[1];
  return (ext || type || "file").toUpperCase();
}

// -- scrolling ------------------------------------------------------------------------------

function isNearBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom(el) {
  el.scrollTop = el.scrollHeight;
  el._stick = true;
}

for (const scroller of [ui.messages, ui.threadBody]) {
  scroller.addEventListener("scroll", () => {
    scroller._stick = isNearBottom(scroller);
    if (scroller === ui.messages && scroller._stick) ui.newPill.hidden = true;
  }, { passive: true });
}

ui.newPill.addEventListener("click", () => {
  scrollToBottom(ui.messages);
  ui.newPill.hidden = true;
  ui.composer.focus();
});

// -- thread pane ----------------------------------------------------------------------------

let threadFocusPending = false;

function openThread(ts) {
  if (store.thread !== ts) {
    store.thread = ts;
    resetList(ui.threadReplies);
    ui.threadRoot.replaceChildren(h("p", { class: "thread-loading", role: "status", text: "Opening the thread…" }));
    ui.threadCount.textContent = "";
    ui.threadRoot._key = null;
  }
  ui.thread.hidden = false;
  ui.app.classList.add("has-thread");
  syncThreadInert();
  threadFocusPending = true;
  ui.threadComposer.focus();
  refresh();
}

function closeThread({ focusBack = true } = {}) {
  const ts = store.thread;
  store.thread = null;
  ui.thread.hidden = true;
  ui.app.classList.remove("has-thread");
  syncThreadInert();
  resetList(ui.threadReplies);
  ui.threadRoot.replaceChildren();
  ui.threadRoot._key = null;
  ui.threadComposer.value = "";
  autosize(ui.threadComposer);
  if (focusBack) {
    const back = ts && ui.list.querySelector(`[data-ts="${CSS.escape(ts)}"] [data-thread-ts]`);
    (back || ui.composer).focus();
  }
  refresh();
}

/** When narrow, the thread covers the page: what is under it is out of reach. */
function syncThreadInert() {
  const covering = NARROW.matches && !ui.thread.hidden;
  if (!document.body.classList.contains("drawer-open")) {
    ui.main.inert = covering;
    document.getElementById("sidebar").inert = covering;
  }
}

ui.threadClose.addEventListener("click", () => closeThread());

function renderThread(data, params) {
  if (!store.thread) {
    if (!ui.thread.hidden) closeThread({ focusBack: false });
    return;
  }
  const thread = data.thread;
  if (!thread) {
    if (params.thread === store.thread) {
      closeThread({ focusBack: true });
      announce("That thread is no longer there.");
    }
    return;
  }
  ui.threadWhere.textContent = data.conversation?.kind === "channel" ? `#${data.conversation.name}` : currentConvLabel(data);
  const rootKey = JSON.stringify([thread.root, state?.users, store.persona]);
  if (ui.threadRoot._key !== rootKey) {
    const ref = focusReference(ui.threadRoot);
    ui.threadRoot._key = rootKey;
    ui.threadRoot.replaceChildren(thread.root ? messageEl(thread.root, { inThread: true }) : "");
    restoreFocus(ui.threadRoot, ref);
  }
  const replies = thread.replies || [];
  const n = replies.length;
  ui.threadCount.textContent = n ? `${n} ${n === 1 ? "reply" : "replies"}` : "No replies yet";
  renderList(ui.threadReplies, replies, {
    owner: `${params.as}|${params.conv}|${thread.ts}`,
    conv: params.conv,
    scroller: ui.threadBody,
    inThread: true,
  });
  if (threadFocusPending) {
    threadFocusPending = false;
    if (!ui.thread.contains(document.activeElement)) ui.threadComposer.focus();
  }
}

// -- composers ------------------------------------------------------------------------------

function draftKey() {
  return `${store.persona}|${convIdOf(store.sel)}`;
}

function saveDraft() {
  const key = draftKey();
  if (ui.composer.value) drafts.set(key, ui.composer.value);
  else drafts.delete(key);
}

function restoreDraft() {
  ui.composer.value = drafts.get(draftKey()) || "";
  autosize(ui.composer);
  updateHint();
}

function autosize(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight + 2, 220)}px`;
}

function updateHint() {
  ui.composerHint.textContent = ui.composer.value.trimStart().startsWith("/") ? COMMANDS : ENTER_HINT;
}

async function send(area, { threadTs = null } = {}) {
  const text = area.value.trim();
  if (!text || area.dataset.sending) return;
  area.dataset.sending = "true";
  await ready; // typed before the workspace loaded: who and where are known now
  delete area.dataset.sending;
  const conv = convIdOf(store.sel);
  if (!conv || conv === "home") return;
  const isCommand = text.startsWith("/");
  const body = { as: store.persona, conv, text };
  if (!isCommand && threadTs) body.thread_ts = threadTs;
  area.dataset.sending = "true";
  area.setAttribute("aria-busy", "true");
  const answer = await post(isCommand ? "/sandbox/command" : "/sandbox/message", body);
  delete area.dataset.sending;
  area.removeAttribute("aria-busy");
  if (answer.ok) {
    if (area.value.trim() === text) area.value = "";
    autosize(area);
    if (area === ui.composer) {
      drafts.delete(draftKey());
      updateHint();
      scrollToBottom(ui.messages);
    } else {
      scrollToBottom(ui.threadBody);
    }
  }
}

function wireComposer(area, form, options) {
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      send(area, options());
    }
  });
  area.addEventListener("input", () => {
    autosize(area);
    if (area === ui.composer) updateHint();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(area, options());
    area.focus();
  });
}

wireComposer(ui.composer, ui.composerForm, () => ({}));
wireComposer(ui.threadComposer, ui.threadForm, () => ({ threadTs: store.thread }));
updateHint();

// -- modal ----------------------------------------------------------------------------------

const modalUI = {
  id: null,
  viewKey: null,
  stateErrorsKey: "{}",
  el: null,
  opener: null,
  closing: null, // view id being closed: not shown again meanwhile
  closingSeq: Infinity,
  submitting: false,
  submitSeq: Infinity, // the first state fetched after the submission answered
  submitAnsweredAt: 0,
};

function settleModalBarriers(seq) {
  if (modalUI.closing && seq >= modalUI.closingSeq) {
    modalUI.closing = null;
    modalUI.closingSeq = Infinity;
  }
  if (modalUI.submitting && seq >= modalUI.submitSeq) {
    // The submission is in this state. If the same view is still showing a while later
    // (the app did nothing visible), let the person try again.
    if (performance.now() - modalUI.submitAnsweredAt > 1500) setSubmitting(false);
  }
}

function renderModalState(modal) {
  if (modal && modalUI.closing === modal.id) modal = null;
  if (!modal || !modal.view) {
    if (modalUI.el) hideModal();
    return;
  }
  const viewKey = JSON.stringify(modal.view);
  const errorsKey = JSON.stringify(modal.errors || {});
  if (modal.id !== modalUI.id || viewKey !== modalUI.viewKey) {
    // Same view updated in place: keep what was typed where the inputs are the same.
    const values = modal.id === modalUI.id && modalUI.el ? collectValues(modalUI.el) : undefined;
    buildModal(modal, values);
    modalUI.stateErrorsKey = errorsKey;
  } else if (errorsKey !== modalUI.stateErrorsKey) {
    modalUI.stateErrorsKey = errorsKey;
    showModalErrors(modal.errors || {}, { focus: true });
  }
}

function buildModal(modal, values) {
  const wasOpen = Boolean(modalUI.el);
  const changedView = modalUI.id !== modal.id;
  const focusRef = wasOpen && !changedView ? focusReference(modalUI.el) : null;
  if (!wasOpen) {
    modalUI.opener = document.activeElement && document.activeElement !== document.body ? document.activeElement : null;
  }
  modalUI.id = modal.id;
  modalUI.viewKey = JSON.stringify(modal.view);
  // A new view, or this one updated in answer to the submission: its button works again.
  if (changedView || modalUI.submitSeq !== Infinity) setSubmitting(false);
  const viewId = modal.id;
  const el = renderModal(modal.view, ctxFor({
    errors: modal.errors || {},
    values,
    onSubmit: (vals) => submitModal(viewId, vals),
    onClose: () => closeModal(viewId),
    onAction: (action) =>
      post("/sandbox/action", {
        as: store.persona,
        conv: convIdOf(store.sel),
        surface: "modal",
        view_id: viewId,
        action,
      }),
  }));
  modalUI.el = el;
  ui.modalHolder.replaceChildren(el);
  ui.modal.hidden = false;
  ui.app.inert = true;
  ui.app.setAttribute("aria-hidden", "true"); // for tools that do not know inert yet
  document.body.classList.add("modal-open");
  if (modalUI.submitting) setSubmitting(true);
  if (focusRef) requestAnimationFrame(() => restoreFocus(el, focusRef));
}

function hideModal() {
  modalUI.el = null;
  modalUI.id = null;
  modalUI.viewKey = null;
  modalUI.stateErrorsKey = "{}";
  setSubmitting(false);
  ui.modalHolder.replaceChildren();
  ui.modal.hidden = true;
  ui.app.inert = false;
  ui.app.removeAttribute("aria-hidden");
  document.body.classList.remove("modal-open");
  const back = modalUI.opener;
  modalUI.opener = null;
  if (back && back.isConnected && !back.closest("[hidden]") && !back.disabled) back.focus();
  else if (!ui.composerForm.hidden) ui.composer.focus();
  else ui.home.focus();
}

function closeModal(viewId) {
  if (modalUI.id !== viewId) return;
  modalUI.closing = viewId;
  modalUI.closingSeq = Infinity;
  hideModal();
  post("/sandbox/close", { as: store.persona, view_id: viewId }).then((answer) => {
    if (modalUI.closing !== viewId) return;
    if (answer.ok) modalUI.closingSeq = answer.seq;
    else {
      modalUI.closing = null; // it is still open on the server: show it again
      applied.version = null;
    }
  });
}

async function submitModal(viewId, values) {
  if (modalUI.submitting || modalUI.id !== viewId) return;
  setSubmitting(true);
  modalUI.submitSeq = Infinity;
  const answer = await post("/sandbox/submit", { as: store.persona, view_id: viewId, values });
  if (modalUI.id !== viewId) return; // already closed or replaced
  if (!answer.ok) {
    setSubmitting(false);
    return;
  }
  if (answer.errors && Object.keys(answer.errors).length) {
    setSubmitting(false);
    showModalErrors(answer.errors, { focus: true });
    announce("The form has errors: see the fields marked.");
    return;
  }
  modalUI.submitSeq = answer.seq;
  modalUI.submitAnsweredAt = performance.now();
}

function setSubmitting(on) {
  modalUI.submitting = on;
  if (!on) modalUI.submitSeq = Infinity;
  const el = modalUI.el;
  if (!el) return;
  const button = el.querySelector(".bk-modal-submit, button[type=submit]");
  if (button) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }
  el.classList.toggle("is-submitting", on);
}

function showModalErrors(errors, { focus = false } = {}) {
  const el = modalUI.el;
  if (!el) return;
  if (typeof bk.showErrors === "function") {
    bk.showErrors(el, errors);
  } else {
    // Older renderer: draw the view again with the errors and what was typed.
    const values = collectValues(el);
    buildModal({ id: modalUI.id, view: JSON.parse(modalUI.viewKey), errors }, values);
  }
  if (focus) {
    const wrong = modalUI.el.querySelector(".bk-has-error input, .bk-has-error select, .bk-has-error textarea");
    wrong?.focus();
  }
}

// -- keyboard -------------------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented) return;
  if (document.querySelector("dialog[open]")) return; // a confirm handles its own Escape
  if (modalUI.el) {
    // Focus may have wandered out of the modal (the error banner): close it all the same.
    if (!modalUI.el.contains(event.target)) closeModal(modalUI.id);
    return;
  }
  if (document.body.classList.contains("drawer-open")) {
    event.preventDefault();
    closeDrawer();
    return;
  }
  if (store.thread) {
    event.preventDefault();
    closeThread();
  }
});

// -- the error banner -----------------------------------------------------------------------

function showError(message, kind = "action") {
  ui.errorText.textContent = message;
  ui.error.dataset.kind = kind;
  ui.error.hidden = false;
}

function clearError(kind) {
  if (kind && ui.error.dataset.kind !== kind) return;
  ui.error.hidden = true;
  ui.errorText.textContent = "";
  delete ui.error.dataset.kind;
}

ui.errorClose.addEventListener("click", () => {
  const hadFocus = ui.error.contains(document.activeElement);
  clearError();
  if (hadFocus) {
    if (modalUI.el) modalUI.el.focus();
    else if (!ui.composerForm.hidden) ui.composer.focus();
  }
});

// -- live region ----------------------------------------------------------------------------

// The region lives in a closed shadow root: screen readers hear it, while text searches of
// the page (a browser test's getByText) find each message once, in the conversation.
const liveRegion = (() => {
  const root = ui.live.attachShadow({ mode: "closed" });
  const region = document.createElement("div");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-relevant", "additions");
  root.append(region);
  ui.live.removeAttribute("aria-live");
  return region;
})();

function announce(text) {
  if (!text) return;
  const line = h("p", { text });
  liveRegion.append(line);
  while (liveRegion.childNodes.length > 5) liveRegion.firstChild.remove();
  setTimeout(() => line.remove(), 15000);
}

// -- focus across re-renders ----------------------------------------------------------------

/** Enough to find "the same control" in a freshly rendered copy of a subtree. */
function focusReference(root) {
  const active = document.activeElement;
  if (!active || !root || !root.contains(active) || active === root) return null;
  const block = active.closest("[data-block-id]");
  const scope = block || root;
  const same = [...scope.querySelectorAll(active.tagName)];
  return {
    blockId: block?.dataset.blockId || null,
    tag: active.tagName,
    index: same.indexOf(active),
  };
}

function restoreFocus(root, ref) {
  if (!ref || !root) return;
  let scope = root;
  if (ref.blockId) scope = root.querySelector(`[data-block-id="${CSS.escape(ref.blockId)}"]`);
  const target = scope ? [...scope.querySelectorAll(ref.tag)][ref.index] : null;
  if (target && !target.disabled) {
    target.focus({ preventScroll: true });
  } else if (root.isConnected) {
    // The control is gone (a card that lost its buttons): keep the place, not the body.
    const place = root.matches(".msg") ? root : root.querySelector(".msg") || root;
    if (!place.hasAttribute("tabindex")) place.tabIndex = -1;
    place.focus({ preventScroll: true });
  }
}

// -- small helpers --------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

const PALETTE = ["#2f6f9f", "#8a3b8f", "#2e7d4f", "#b3541e", "#6b4fbb", "#a12d55", "#1d7a7a", "#7a5c12"];

function avatar(userId, name, isApp = false) {
  if (isApp) return h("div", { class: "avatar avatar-app", "aria-hidden": "true", html: ICONS.app });
  let hash = 0;
  for (const c of String(userId || name)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const initial = (String(name || "?").trim()[0] || "?").toUpperCase();
  const el = h("div", { class: "avatar", "aria-hidden": "true", text: initial });
  el.style.background = PALETTE[hash % PALETTE.length];
  return el;
}

function tsDate(ts) {
  const seconds = Number.parseFloat(ts);
  return Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
}

/** A message's time as the network writes it, in its time zone: "14:05" for a UK network,
 * "2:05 PM" for a US one. */
function writeTime(date, options) {
  const locale = state?.dates?.locale || document.documentElement.lang || undefined;
  const timeZone = state?.dates?.timezone || undefined;
  return new Intl.DateTimeFormat(locale, { timeZone, ...options }).format(date);
}

function cap(text) {
  const s = String(text || "");
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

// -- start ----------------------------------------------------------------------------------

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});

// This page is every persona's Slack client, and a reloaded Slack client closes the modals
// that were open in it: so the first request closes them, and then the state is read.
started = post(RELOAD, {});
if (store.sel?.kind === "home" && store.persona) openHome();
restoreDraft();
renderHeader(null);
