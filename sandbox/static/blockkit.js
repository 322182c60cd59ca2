// Block Kit renderer for the sandbox: Slack's blocks in, DOM out.
//
// An ES module with no dependencies. Every string that came from Slack text is
// either set as textContent or escaped before it reaches innerHTML, so a
// resident's name can never become markup.
//
//   mrkdwn(text, ctx)          -> HTML string
//   plainText(obj)             -> string
//   renderBlocks(blocks, ctx)  -> div.bk-blocks
//   renderModal(view, ctx)     -> the modal (role="dialog")
//   collectValues(modalEl)     -> view.state.values, shaped as Slack sends it
//   showErrors(modalEl, errors) (extra) -> mark inline errors on a modal already shown
//
// ctx: {users, channels, errors, values, onAction(action), onSubmit(values), onClose()}
// (ctx.values, extra: a view.state.values to start the inputs from, so a modal shown
// again with errors keeps what the user typed, as Slack does.)

// -- emoji ---------------------------------------------------------------------------------

const EMOJI = {
  white_check_mark: "\u2705",
  hourglass_flowing_sand: "\u23F3",
  hourglass: "\u231B",
  arrow_right: "\u27A1\uFE0F",
  arrow_left: "\u2B05\uFE0F",
  telephone_receiver: "\uD83D\uDCDE",
  checkered_flag: "\uD83C\uDFC1",
  no_entry_sign: "\uD83D\uDEAB",
  no_entry: "\u26D4",
  compass: "\uD83E\uDDED",
  outbox_tray: "\uD83D\uDCE4",
  inbox_tray: "\uD83D\uDCE5",
  leftwards_arrow_with_hook: "\u21A9\uFE0F",
  large_orange_circle: "\uD83D\uDFE0",
  large_green_circle: "\uD83D\uDFE2",
  large_yellow_circle: "\uD83D\uDFE1",
  large_blue_circle: "\uD83D\uDD35",
  red_circle: "\uD83D\uDD34",
  white_circle: "\u26AA",
  black_circle: "\u26AB",
  warning: "\u26A0\uFE0F",
  x: "\u274C",
  heavy_check_mark: "\u2714\uFE0F",
  information_source: "\u2139\uFE0F",
  bell: "\uD83D\uDD14",
  calendar: "\uD83D\uDCC6",
  date: "\uD83D\uDCC5",
  clipboard: "\uD83D\uDCCB",
  memo: "\uD83D\uDCDD",
  pencil: "\uD83D\uDCDD",
  pushpin: "\uD83D\uDCCC",
  wave: "\uD83D\uDC4B",
  tada: "\uD83C\uDF89",
  rocket: "\uD83D\uDE80",
  eyes: "\uD83D\uDC40",
  bulb: "\uD83D\uDCA1",
  sparkles: "\u2728",
  star: "\u2B50",
  fire: "\uD83D\uDD25",
  heart: "\u2764\uFE0F",
  thumbsup: "\uD83D\uDC4D",
  "+1": "\uD83D\uDC4D",
  thumbsdown: "\uD83D\uDC4E",
  "-1": "\uD83D\uDC4E",
  ok_hand: "\uD83D\uDC4C",
  pray: "\uD83D\uDE4F",
  raised_hands: "\uD83D\uDE4C",
  clap: "\uD83D\uDC4F",
  smile: "\uD83D\uDE04",
  slightly_smiling_face: "\uD83D\uDE42",
  thinking_face: "\uD83E\uDD14",
  email: "\uD83D\uDCE7",
  envelope: "\u2709\uFE0F",
  phone: "\u260E\uFE0F",
  telephone: "\u260E\uFE0F",
  house: "\uD83C\uDFE0",
  office: "\uD83C\uDFE2",
  busts_in_silhouette: "\uD83D\uDC65",
  bust_in_silhouette: "\uD83D\uDC64",
  mag: "\uD83D\uDD0D",
  lock: "\uD83D\uDD12",
  link: "\uD83D\uDD17",
  question: "\u2753",
  exclamation: "\u2757",
  hourglass_done: "\u231B",
  stopwatch: "\u23F1\uFE0F",
  alarm_clock: "\u23F0",
  arrows_counterclockwise: "\uD83D\uDD04",
  repeat: "\uD83D\uDD01",
  speech_balloon: "\uD83D\uDCAC",
  bar_chart: "\uD83D\uDCCA",
  chart_with_upwards_trend: "\uD83D\uDCC8",
};

/** The emoji for a :name:, or undefined when we do not know it. */
function emojiFor(name) {
  return Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : undefined;
}

function replaceEmoji(text) {
  return text.replace(/:([a-z0-9_+\-']+):/g, (match, name) => emojiFor(name) ?? match);
}

// -- escaping ------------------------------------------------------------------------------

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Slack escapes only &, < and > in its text; turn them back into characters. */
function unslack(text) {
  return String(text).replace(/&(amp|lt|gt);/g, (_, name) => ({ amp: "&", lt: "<", gt: ">" })[name]);
}

function safeUrl(url) {
  const trimmed = unslack(url).trim();
  return /^(https?:|mailto:|tel:)/i.test(trimmed) ? trimmed : null;
}

// -- mrkdwn --------------------------------------------------------------------------------

// Private-use characters stand in for finished HTML (links, mentions, code) while the rest
// of the text is formatted; they are stripped from the input first so text cannot forge one.
const OPEN = "\uE000";
const CLOSE = "\uE001";
const SENTINELS = /[\uE000\uE001]/g;
// What may sit either side of a *bold* / _italic_ / ~strike~ marker.
const EDGE = "[\\s\\p{P}\\p{S}\\uE000\\uE001]";
const FORMATS = [
  ["*", "strong"],
  ["_", "em"],
  ["~", "s"],
];
const FORMAT_RES = FORMATS.map(([mark, tag]) => {
  const m = mark === "*" ? "\\*" : mark;
  const re = new RegExp(
    `(?<=^|${EDGE})${m}(?=[^\\s${m}])([^${m}\\n]*?[^\\s${m}])${m}(?=$|${EDGE})`,
    "gu",
  );
  return [re, tag];
});

function formatInline(html) {
  let out = html;
  for (const [re, tag] of FORMAT_RES) out = out.replace(re, `<${tag}>$1</${tag}>`);
  return out;
}

function renderAngle(inner, ctx) {
  const [target, ...rest] = inner.split("|");
  const label = rest.length ? rest.join("|") : null;
  const users = ctx.users || {};
  const channels = ctx.channels || {};
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = users[id] ?? (label ? unslack(label).replace(/^@/, "") : id);
    return `<span class="bk-mention" data-user-id="${esc(id)}">@${esc(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = channels[id] ?? (label ? unslack(label) : id);
    return `<span class="bk-mention bk-channel" data-channel-id="${esc(id)}">#${esc(name)}</span>`;
  }
  if (target.startsWith("!")) {
    const command = target.slice(1);
    if (["channel", "here", "everyone"].includes(command)) {
      return `<span class="bk-mention bk-broadcast">@${command}</span>`;
    }
    if (command.startsWith("subteam^")) {
      const name = label ? unslack(label) : `@${command.slice(8)}`;
      return `<span class="bk-mention">${esc(name)}</span>`;
    }
    // <!date^…|fallback> and others: Slack shows the fallback text.
    return esc(label ? unslack(label) : "");
  }
  const href = safeUrl(target);
  const text = label !== null ? unslack(label) : unslack(target).replace(/^mailto:/i, "");
  if (!href) return esc(text);
  return `<a class="bk-link" href="${esc(href)}" target="_blank" rel="noopener noreferrer">${esc(text)}</a>`;
}

/**
 * Slack mrkdwn to safe HTML.
 *
 * Slack's text arrives with &, < and > escaped; a raw <…> is markup (link, mention,
 * broadcast) and a raw > at the start of a line is a quote.
 */
export function mrkdwn(text, ctx = {}) {
  if (text === null || text === undefined) return "";
  ctx = ctx || {};
  const pieces = [];
  const stash = (html) => `${OPEN}${pieces.push(html) - 1}${CLOSE}`;
  let src = String(text).replace(SENTINELS, "");

  src = src.replace(/<([^<>\n]*)>/g, (_, inner) => stash(renderAngle(inner, ctx)));
  src = src.replace(/```\n?([\s\S]*?)```/g, (_, code) =>
    stash(`<pre class="bk-pre">${esc(unslack(code))}</pre>`),
  );
  src = src.replace(/`([^`\n]+)`/g, (_, code) =>
    stash(`<code class="bk-code">${esc(unslack(code))}</code>`),
  );

  const out = [];
  let quote = null;
  const lines = src.split("\n");
  lines.forEach((line, index) => {
    const isQuote = line.startsWith(">");
    const body = isQuote ? line.replace(/^> ?/, "") : line;
    const html = formatInline(replaceEmoji(esc(unslack(body))));
    if (isQuote) {
      (quote ??= []).push(html);
      return;
    }
    if (quote) {
      out.push(`<blockquote class="bk-quote">${quote.join("<br>")}</blockquote>`);
      quote = null;
    }
    out.push(html + (index < lines.length - 1 ? "<br>" : ""));
  });
  if (quote) out.push(`<blockquote class="bk-quote">${quote.join("<br>")}</blockquote>`);

  let html = out.join("");
  // Pieces can hold pieces (a link inside a code block): unwrap until none are left.
  for (let pass = 0; pass < 4 && html.includes(OPEN); pass++) {
    html = html.replace(/\uE000(\d+)\uE001/g, (_, i) => pieces[Number(i)] ?? "");
  }
  return html.replace(SENTINELS, "");
}

/** A text object as a plain string: for labels, options, titles and other plain places. */
export function plainText(obj) {
  if (obj === null || obj === undefined) return "";
  if (typeof obj === "string") return obj;
  const text = String(obj.text ?? "");
  if (obj.type === "mrkdwn") {
    const template = document.createElement("template");
    template.innerHTML = mrkdwn(text, {});
    return template.content.textContent;
  }
  return obj.emoji === false ? text : replaceEmoji(text);
}

// -- DOM helpers ---------------------------------------------------------------------------

let lastId = 0;
function uid(name) {
  lastId += 1;
  return `bk${lastId}-${name}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/** A text object as a DOM node: mrkdwn formatted, plain_text as text. */
function textNode(obj, ctx, tag = "div", cls = "") {
  if (obj && typeof obj === "object" && obj.type === "mrkdwn") {
    return el(tag, { class: `bk-mrkdwn ${cls}`.trim(), html: mrkdwn(obj.text, ctx) });
  }
  return el(tag, { class: `bk-plain ${cls}`.trim(), text: plainText(obj) });
}

/** FNV-1a, as a short id: Slack makes up ids for blocks and actions sent without one. */
function shortHash(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, "0").slice(0, 7);
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function noop() {}

function context(ctx) {
  const given = ctx || {};
  return {
    users: given.users || {},
    channels: given.channels || {},
    errors: given.errors || {},
    values: given.values || {},
    onAction: typeof given.onAction === "function" ? given.onAction : noop,
    onSubmit: typeof given.onSubmit === "function" ? given.onSubmit : noop,
    onClose: typeof given.onClose === "function" ? given.onClose : noop,
  };
}

// Option objects behind each select, checkbox list or radio group: the DOM holds indexes,
// collectValues gives back the option exactly as the view defined it.
const OPTIONS = new WeakMap();

function allOptions(element) {
  const options = [...(element.options || [])];
  for (const group of element.option_groups || []) options.push(...(group.options || []));
  return options;
}

function sameOption(a, b) {
  return Boolean(a && b) && a.value === b.value;
}

// -- confirm dialog ------------------------------------------------------------------------

/** Ask with Slack's confirm object; resolves true only when the user confirms. */
function confirmDialog(confirm, ctx, opener) {
  return new Promise((resolve) => {
    const titleId = uid("confirm-title");
    const textId = uid("confirm-text");
    const style = confirm.style === "danger" ? "bk-danger" : "bk-primary";
    const deny = el("button", {
      type: "button",
      class: "bk-button",
      autofocus: true,
      text: plainText(confirm.deny) || "Cancel",
    });
    const ok = el("button", {
      type: "button",
      class: `bk-button ${style}`,
      text: plainText(confirm.confirm) || "Yes",
    });
    const dialog = el(
      "dialog",
      {
        class: "bk-confirm",
        role: "alertdialog",
        "aria-modal": "true",
        "aria-labelledby": titleId,
        "aria-describedby": textId,
      },
      el("h2", { class: "bk-confirm-title", id: titleId, text: plainText(confirm.title) }),
      textNode(confirm.text, ctx, "div", "bk-confirm-text"),
      el("div", { class: "bk-confirm-actions" }, deny, ok),
    );
    dialog.querySelector(".bk-confirm-text").id = textId;
    dialog.returnValue = "";
    deny.addEventListener("click", () => dialog.close("deny"));
    ok.addEventListener("click", () => dialog.close("confirm"));
    // Escape closes the dialog as a "no"; keep it from also closing a modal underneath.
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") event.stopPropagation();
    });
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "confirm";
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
    deny.focus();
  });
}

// -- elements ------------------------------------------------------------------------------

/** Where an element lives: the block and whether its changes are actions or form state. */
function elementInfo(element, blockId, index) {
  const actionId = element.action_id || shortHash(`${blockId}:${index}:${JSON.stringify(element)}`);
  return { actionId, blockId };
}

function fire(ctx, action, element, opener) {
  const send = () => ctx.onAction(action);
  if (element.confirm) {
    return confirmDialog(element.confirm, ctx, opener).then((confirmed) => {
      if (confirmed) send();
      return confirmed;
    });
  }
  send();
  return Promise.resolve(true);
}

function button(element, where, ctx) {
  const classes = ["bk-button"];
  if (element.style === "primary") classes.push("bk-primary");
  if (element.style === "danger") classes.push("bk-danger");
  const label = plainText(element.text);
  const action = { type: "button", action_id: where.actionId, block_id: where.blockId };
  if (element.value !== undefined) action.value = element.value;
  const attrs = {
    class: classes.join(" "),
    text: label,
    "aria-label": element.accessibility_label || undefined,
    dataset: { actionId: where.actionId },
  };
  const href = element.url ? safeUrl(element.url) : null;
  let node;
  if (href) {
    node = el("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" });
    node.classList.add("bk-link-button");
    node.addEventListener("click", () => ctx.onAction({ ...action }));
  } else {
    node = el("button", { ...attrs, type: "button" });
    node.addEventListener("click", () => fire(ctx, { ...action }, element, node));
  }
  return node;
}

function placeholderOf(element, fallback) {
  return element.placeholder ? plainText(element.placeholder) : fallback;
}

function staticSelect(element, where, ctx, { input = null } = {}) {
  const options = allOptions(element);
  const select = el("select", { class: "bk-select", id: input?.controlId });
  select.append(
    el("option", { value: "", disabled: true, text: placeholderOf(element, "Select an item") }),
  );
  let index = 0;
  const optionNode = (option) =>
    el("option", { value: String(index++), text: plainText(option.text) });
  for (const option of element.options || []) select.append(optionNode(option));
  for (const group of element.option_groups || []) {
    select.append(
      el("optgroup", { label: plainText(group.label) }, (group.options || []).map(optionNode)),
    );
  }
  OPTIONS.set(select, options);
  const initial = input?.state ? input.state.selected_option : element.initial_option;
  const chosen = options.findIndex((option) => sameOption(option, initial));
  select.value = chosen >= 0 ? String(chosen) : "";
  if (!input) {
    select.setAttribute("aria-label", placeholderOf(element, "Select an item"));
    let last = select.value;
    select.addEventListener("change", () => {
      const option = options[Number(select.value)];
      const action = {
        type: element.type,
        action_id: where.actionId,
        block_id: where.blockId,
        selected_option: clone(option),
      };
      fire(ctx, action, element, select).then((confirmed) => {
        if (confirmed) last = select.value;
        else select.value = last;
      });
    });
  }
  return el("div", { class: "bk-select-wrap" }, select);
}

/** Checkboxes, radio buttons and multi-selects: a fieldset of real inputs. */
function choiceGroup(element, where, ctx, { input = null, multiple }) {
  const options = allOptions(element);
  const kind = multiple ? "checkbox" : "radio";
  const name = uid(`${where.blockId}-${where.actionId}`);
  const fieldset = el("fieldset", {
    class: `bk-choices bk-${element.type.replace(/_/g, "-")}`,
    role: multiple ? undefined : "radiogroup",
  });
  if (input) fieldset.append(el("legend", { class: "bk-sr-only", text: input.labelText }));
  else
    fieldset.setAttribute(
      "aria-label",
      placeholderOf(element, multiple ? "Choose options" : "Choose one"),
    );
  if (element.type === "multi_static_select" && element.placeholder) {
    fieldset.append(el("div", { class: "bk-choices-placeholder", text: plainText(element.placeholder) }));
  }
  let initial;
  if (input?.state) {
    initial = multiple ? input.state.selected_options || [] : [input.state.selected_option];
  } else {
    initial = multiple ? element.initial_options || [] : [element.initial_option];
  }
  const list = el("div", { class: "bk-choices-list" });
  if (options.length > 8) list.classList.add("bk-choices-scroll");
  let index = 0;
  const optionNode = (option) => {
    const id = uid("opt");
    const box = el("input", {
      type: kind,
      id,
      name,
      value: String(index++),
      class: "bk-choice-input",
    });
    box.checked = initial.some((chosen) => sameOption(chosen, option));
    const description = option.description
      ? textNode(option.description, ctx, "span", "bk-choice-description")
      : null;
    if (description) {
      description.id = uid("desc");
      box.setAttribute("aria-describedby", description.id);
    }
    return el(
      "div",
      { class: "bk-choice" },
      box,
      el(
        "label",
        { for: id, class: "bk-choice-label" },
        textNode(option.text, ctx, "span", "bk-choice-text"),
        description,
      ),
    );
  };
  for (const option of element.options || []) list.append(optionNode(option));
  for (const group of element.option_groups || []) {
    const groupId = uid("group");
    list.append(
      el(
        "div",
        { class: "bk-choice-group", role: "group", "aria-labelledby": groupId },
        el("div", { class: "bk-choice-group-label", id: groupId, text: plainText(group.label) }),
        (group.options || []).map(optionNode),
      ),
    );
  }
  fieldset.append(list);
  OPTIONS.set(fieldset, options);
  if (!input) {
    fieldset.addEventListener("change", () => {
      const picked = checkedOptions(fieldset);
      const action = { type: element.type, action_id: where.actionId, block_id: where.blockId };
      if (multiple) action.selected_options = picked;
      else action.selected_option = picked[0] ?? null;
      ctx.onAction(action);
    });
  }
  return fieldset;
}

function checkedOptions(fieldset) {
  const options = OPTIONS.get(fieldset) || [];
  return [...fieldset.querySelectorAll("input.bk-choice-input:checked")].map((box) =>
    clone(options[Number(box.value)]),
  );
}

function datepicker(element, where, ctx, { input = null } = {}) {
  const date = el("input", {
    type: "date",
    class: "bk-date",
    id: input?.controlId,
    placeholder: element.placeholder ? plainText(element.placeholder) : undefined,
  });
  const initial = input?.state ? input.state.selected_date : element.initial_date;
  if (initial) date.value = initial;
  if (!input) {
    date.setAttribute("aria-label", placeholderOf(element, "Select a date"));
    date.addEventListener("change", () => {
      ctx.onAction({
        type: "datepicker",
        action_id: where.actionId,
        block_id: where.blockId,
        selected_date: date.value || null,
      });
    });
  }
  return date;
}

function textInput(element, where, ctx, { input }) {
  const attrs = {
    id: input.controlId,
    class: "bk-text-input",
    placeholder: element.placeholder ? plainText(element.placeholder) : undefined,
    maxlength: element.max_length,
    minlength: element.min_length,
  };
  const control = element.multiline
    ? el("textarea", { ...attrs, rows: 4 })
    : el("input", { ...attrs, type: "text" });
  const initial = input.state ? input.state.value : element.initial_value;
  if (initial) control.value = initial;
  return control;
}

function image(element, { small = false } = {}) {
  const src = safeUrl(element.image_url || "");
  const alt = element.alt_text || "";
  if (!src) return el("span", { class: "bk-image-missing", text: alt || "image" });
  return el("img", {
    class: small ? "bk-context-image" : "bk-accessory-image",
    src,
    alt,
    loading: "lazy",
  });
}

function unsupported(kind, type) {
  return el("div", { class: "bk-unsupported", text: `unsupported ${kind}: ${type || "?"}` });
}

/** An element outside an input block: its changes are actions. */
function interactive(element, where, ctx) {
  switch (element.type) {
    case "button":
      return button(element, where, ctx);
    case "static_select":
      return staticSelect(element, where, ctx);
    case "datepicker":
      return datepicker(element, where, ctx);
    case "checkboxes":
    case "multi_static_select":
      return choiceGroup(element, where, ctx, { multiple: true });
    case "radio_buttons":
      return choiceGroup(element, where, ctx, { multiple: false });
    case "image":
      return image(element);
    default:
      return unsupported("element", element.type);
  }
}

// -- blocks --------------------------------------------------------------------------------

function header(block) {
  return el("h3", { class: "bk-header-text", text: plainText(block.text) });
}

function section(block, ctx, blockId) {
  const body = el("div", { class: "bk-section-body" });
  if (block.text) body.append(textNode(block.text, ctx, "div", "bk-section-text"));
  if (block.fields?.length) {
    body.append(
      el(
        "div",
        { class: "bk-fields" },
        block.fields.map((field) => textNode(field, ctx, "div", "bk-field")),
      ),
    );
  }
  const node = el("div", { class: "bk-section-inner" }, body);
  if (block.accessory) {
    const where = elementInfo(block.accessory, blockId, 0);
    const accessory = interactive(block.accessory, where, ctx);
    node.append(el("div", { class: "bk-accessory" }, accessory));
  }
  return node;
}

function contextBlock(block, ctx) {
  return (block.elements || []).map((element) =>
    element.type === "image"
      ? image(element, { small: true })
      : textNode(element, ctx, "span", "bk-context-item"),
  );
}

function actions(block, ctx, blockId) {
  return (block.elements || []).map((element, index) =>
    interactive(element, elementInfo(element, blockId, index), ctx),
  );
}

function imageBlock(block) {
  const img = image(block);
  if (img.tagName === "IMG") img.className = "bk-image-img";
  return el(
    "figure",
    { class: "bk-figure" },
    block.title ? el("figcaption", { class: "bk-image-title", text: plainText(block.title) }) : null,
    img,
  );
}

/** An input block: label, control, hint, inline error; its values are form state. */
function inputBlock(block, ctx, blockId) {
  const element = block.element || {};
  const where = elementInfo(element, blockId, 0);
  const controlId = uid(`${blockId}-control`);
  const labelId = uid(`${blockId}-label`);
  const hintId = block.hint ? uid(`${blockId}-hint`) : null;
  const errorId = uid(`${blockId}-error`);
  const labelText = plainText(block.label);
  const optional = Boolean(block.optional);
  const state = ctx.values?.[blockId]?.[where.actionId] ?? null;
  const input = { controlId, labelText, state };
  const grouped = ["checkboxes", "radio_buttons", "multi_static_select"].includes(element.type);

  let control;
  switch (element.type) {
    case "plain_text_input":
      control = textInput(element, where, ctx, { input });
      break;
    case "static_select":
      control = staticSelect(element, where, ctx, { input });
      break;
    case "datepicker":
      control = datepicker(element, where, ctx, { input });
      break;
    case "checkboxes":
    case "multi_static_select":
      control = choiceGroup(element, where, ctx, { input, multiple: true });
      break;
    case "radio_buttons":
      control = choiceGroup(element, where, ctx, { input, multiple: false });
      break;
    default:
      return unsupported("element", element.type);
  }

  const label = el(
    grouped ? "div" : "label",
    { class: "bk-label", id: labelId, for: grouped ? undefined : controlId },
    el("span", { class: "bk-label-text", text: labelText }),
    optional ? el("span", { class: "bk-optional", text: " (optional)" }) : null,
  );
  const wrap = el(
    "div",
    {
      class: "bk-input-block",
      dataset: { bkInput: element.type, bkBlock: blockId, bkAction: where.actionId },
    },
    label,
    control,
    hintId ? el("div", { class: "bk-hint", id: hintId, text: plainText(block.hint) }) : null,
    el("div", { class: "bk-error", id: errorId, hidden: true }),
  );
  wrap._bk = { hintId, errorId, grouped, optional, labelId };

  if (grouped) {
    control.setAttribute("aria-labelledby", labelId);
    control.id = controlId;
    if (!optional) {
      control.setAttribute("aria-required", "true");
      if (element.type === "radio_buttons") {
        control.querySelectorAll("input").forEach((box) => (box.required = true));
      } else {
        keepGroupRequired(control);
      }
    }
  } else if (!optional) {
    controlOf(wrap).required = true;
  }
  describe(wrap);
  wrap.addEventListener("input", () => clearRequiredError(wrap));
  wrap.addEventListener("change", () => clearRequiredError(wrap));
  return wrap;
}

/** A required checkbox group needs at least one ticked: HTML has no group `required`. */
function keepGroupRequired(fieldset) {
  const check = () => {
    const boxes = [...fieldset.querySelectorAll("input.bk-choice-input")];
    const none = !boxes.some((box) => box.checked);
    boxes.forEach((box, i) =>
      box.setCustomValidity(none && i === 0 ? "Please select at least one option." : ""),
    );
  };
  fieldset.addEventListener("change", check);
  check();
}

function controlOf(wrap) {
  return wrap.querySelector(".bk-text-input, .bk-select, .bk-date, fieldset.bk-choices");
}

/** The inputs that carry aria-invalid / aria-describedby for a block. */
function describedControls(wrap) {
  const control = controlOf(wrap);
  if (!control) return [];
  if (control.tagName === "FIELDSET") {
    return [control, ...control.querySelectorAll("input.bk-choice-input")];
  }
  return [control];
}

function describe(wrap) {
  const { hintId, errorId } = wrap._bk;
  const error = wrap.querySelector(".bk-error");
  const ids = [error.hidden ? null : errorId, hintId].filter(Boolean);
  for (const control of describedControls(wrap)) {
    const own = control.classList.contains("bk-choice-input")
      ? control.closest(".bk-choice").querySelector(".bk-choice-description")?.id
      : null;
    const all = [...ids, own].filter(Boolean);
    if (all.length) control.setAttribute("aria-describedby", all.join(" "));
    else control.removeAttribute("aria-describedby");
    if (error.hidden) control.removeAttribute("aria-invalid");
    else if (control.tagName !== "FIELDSET" || control.getAttribute("role") === "radiogroup") {
      control.setAttribute("aria-invalid", "true");
    }
  }
  const fieldset = controlOf(wrap);
  if (fieldset?.tagName === "FIELDSET" && !error.hidden) fieldset.dataset.invalid = "true";
  else if (fieldset) delete fieldset.dataset.invalid;
}

function setError(wrap, message, { required = false } = {}) {
  const error = wrap.querySelector(".bk-error");
  if (message) {
    error.replaceChildren(
      el("span", { class: "bk-error-icon", "aria-hidden": "true", text: "\u26A0 " }),
      el("span", { text: String(message) }),
    );
    error.hidden = false;
    if (required) error.dataset.required = "true";
    else delete error.dataset.required;
  } else {
    error.replaceChildren();
    error.hidden = true;
    delete error.dataset.required;
  }
  wrap.classList.toggle("bk-has-error", Boolean(message));
  describe(wrap);
}

function clearRequiredError(wrap) {
  const error = wrap.querySelector(".bk-error");
  if (error.dataset.required && !invalidNow(wrap)) setError(wrap, null);
}

function invalidNow(wrap) {
  return [...wrap.querySelectorAll("input, select, textarea")].some((c) => !c.validity.valid);
}

const BLOCKS = {
  header: (block) => [header(block)],
  section: (block, ctx, blockId) => [section(block, ctx, blockId)],
  context: (block, ctx) => contextBlock(block, ctx),
  divider: () => [el("hr", { class: "bk-rule" })],
  actions: (block, ctx, blockId) => actions(block, ctx, blockId),
  image: (block) => [imageBlock(block)],
  input: (block, ctx, blockId) => [inputBlock(block, ctx, blockId)],
};

function renderBlock(block, index, ctx) {
  const type = block?.type;
  const blockId = block?.block_id || shortHash(`${index}:${JSON.stringify(block)}`);
  const render = BLOCKS[type];
  const node = el("div", {
    class: `bk-block bk-${String(type || "unknown").replace(/[^a-z0-9_-]/gi, "")}`,
    dataset: { blockId, blockType: type || "" },
  });
  if (!render) {
    node.append(unsupported("block", type));
    return node;
  }
  try {
    node.append(...render(block, ctx, blockId));
  } catch (error) {
    console.error("blockkit: could not render block", block, error);
    node.replaceChildren(unsupported("block", `${type} (${error.message})`));
  }
  return node;
}

/** Blocks of a message or App Home as a div.bk-blocks. */
export function renderBlocks(blocks, ctx) {
  const full = context(ctx);
  const root = el("div", { class: "bk-blocks" });
  (blocks || []).forEach((block, index) => root.append(renderBlock(block, index, full)));
  if (Object.keys(full.errors).length) showErrors(root, full.errors);
  return root;
}

// -- modals --------------------------------------------------------------------------------

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter(
    (node) => !node.closest("[hidden]") && node.getClientRects().length > 0,
  );
}

/** The control to give focus to: the first with an error, else the first input. */
function firstControl(modal) {
  const invalid = modal.querySelector(".bk-has-error");
  const scope = invalid || modal.querySelector(".bk-modal-body");
  const inputs = scope ? focusables(scope) : [];
  const checked = inputs.find((node) => node.type === "radio" && node.checked);
  const first = inputs[0];
  if (first?.type === "radio" && checked?.name === first.name) return checked;
  return first || focusables(modal)[0] || modal;
}

function focusModal(modal) {
  const target = firstControl(modal);
  target.focus({ preventScroll: false });
}

class BkModal extends HTMLElement {
  connectedCallback() {
    // Move focus in when the modal is shown (after the page has laid it out).
    requestAnimationFrame(() => {
      if (this.isConnected && !this.contains(document.activeElement)) focusModal(this);
    });
  }
}
if (!customElements.get("bk-modal")) customElements.define("bk-modal", BkModal);

/** A modal view: a real <form> with title, blocks, close and (if the view has one) submit. */
export function renderModal(view, ctx) {
  const full = context(ctx);
  const titleId = uid("modal-title");
  const modal = document.createElement("bk-modal");
  modal.className = "bk-modal";
  modal.setAttribute("role", "dialog");
  modal.setAttribute("aria-modal", "true");
  modal.setAttribute("aria-labelledby", titleId);
  modal.tabIndex = -1;
  if (view.callback_id) modal.dataset.callbackId = view.callback_id;

  const close = () => full.onClose();
  const closeLabel = plainText(view.close) || "Cancel";
  const body = el("div", { class: "bk-modal-body" }, renderBlocks(view.blocks, { ...full, errors: {} }));
  const footer = el(
    "div",
    { class: "bk-modal-footer" },
    el("button", { type: "button", class: "bk-button bk-modal-close", text: closeLabel, onclick: close }),
    view.submit
      ? el("button", { type: "submit", class: "bk-button bk-primary bk-modal-submit", text: plainText(view.submit) })
      : null,
  );
  const form = el(
    "form",
    { class: "bk-modal-form", "aria-labelledby": titleId },
    el(
      "div",
      { class: "bk-modal-header" },
      el("h2", { class: "bk-modal-title", id: titleId, text: plainText(view.title) }),
      el("button", {
        type: "button",
        class: "bk-modal-x",
        "aria-label": "Close",
        title: "Close",
        text: "\u00D7",
        onclick: close,
      }),
    ),
    body,
    footer,
  );

  let firstInvalid = null;
  form.addEventListener(
    "invalid",
    (event) => {
      // Slack's own words under each empty required field instead of the browser bubble.
      event.preventDefault();
      const wrap = event.target.closest(".bk-input-block");
      if (!wrap) return;
      if (!firstInvalid) {
        // Every invalid event of one submit attempt fires in the same task: focus the first
        // once they are all in (a microtask would run between them).
        firstInvalid = event.target;
        setTimeout(() => {
          firstInvalid?.focus();
          firstInvalid = null;
        });
      }
      const error = wrap.querySelector(".bk-error");
      if (error.hidden || error.dataset.required) {
        setError(wrap, requiredMessage(event.target), { required: true });
      }
    },
    true,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    full.onSubmit(collectValues(modal));
  });
  modal.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      trapTab(modal, event);
    }
  });
  modal.append(form);
  if (Object.keys(full.errors).length) showErrors(modal, full.errors);
  return modal;
}

function requiredMessage(control) {
  if (control.validity?.valueMissing || control.validity?.customError) {
    return "Please complete this required field.";
  }
  return control.validationMessage || "Please check this field.";
}

function trapTab(modal, event) {
  const nodes = focusables(modal);
  if (!nodes.length) return;
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  if (event.shiftKey && (document.activeElement === first || document.activeElement === modal)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/** Show Slack's response_action errors ({block_id: message}) under their inputs. */
export function showErrors(root, errors = {}) {
  for (const wrap of root.querySelectorAll("[data-bk-input]")) {
    setError(wrap, errors[wrap.dataset.bkBlock] || null);
  }
  return root;
}

// -- state ---------------------------------------------------------------------------------

/** view.state.values for the inputs in modalEl: {block_id: {action_id: state}}. */
export function collectValues(modalEl) {
  const values = {};
  for (const wrap of modalEl.querySelectorAll("[data-bk-input]")) {
    const { bkInput: type, bkBlock: blockId, bkAction: actionId } = wrap.dataset;
    const state = { type };
    const control = controlOf(wrap);
    if (!control) continue;
    switch (type) {
      case "plain_text_input":
        state.value = control.value === "" ? null : control.value;
        break;
      case "datepicker":
        state.selected_date = control.value || null;
        break;
      case "static_select": {
        const options = OPTIONS.get(control) || [];
        state.selected_option = control.value === "" ? null : clone(options[Number(control.value)]);
        break;
      }
      case "radio_buttons":
        state.selected_option = checkedOptions(control)[0] ?? null;
        break;
      case "checkboxes":
      case "multi_static_select":
        state.selected_options = checkedOptions(control);
        break;
      default:
        continue;
    }
    values[blockId] = { [actionId]: state };
  }
  return values;
}
