// The transcript of a task page: the newest page of entries, earlier pages on request, then live entries over
// server-sent events until the task ends. Everything the server sends is put in the page as text (textContent);
// nothing is parsed as HTML, and no address is ever taken from an entry.
"use strict";

(function () {
    // The list never holds more than this many entries: live ones push the oldest out (while the reader follows
    // the end), earlier pages the newest.
    const MaxItems = 1500;
    const PageSize = 200;
    // Calls still waiting for their result that a gateway denial may belong to.
    const MaxOpenCalls = 100;
    const Kinds = ["system", "assistant", "thinking", "tool", "result", "error", "denied", "runner", "final", "other"];

    function element(tag, className, text) {
        const node = document.createElement(tag);
        if (className) { node.className = className; }
        if (text !== undefined && text !== null) { node.textContent = String(text); }
        return node;
    }

    function seqOf(li) { return Number(li.getAttribute("data-seq")); }

    function characters(n) { return Number(n).toLocaleString("en-US"); }

    function Transcript(section) {
        const base = section.getAttribute("data-transcript");
        const rawProof = section.getAttribute("data-proof") || "";
        // The proof is the server's own query (until=…&sig=…); anything else is not sent on.
        const proof = /^[A-Za-z0-9_.~%=&-]*$/.test(rawProof) ? rawProof : "";
        const final = section.getAttribute("data-final") === "true";

        const status = find("p", "transcript-status", null, (p) => { p.setAttribute("role", "status"); section.prepend(p); });
        const earlierButton = find("button", "transcript-earlier", "Load earlier events", (b) => { b.type = "button"; status.after(b); });
        const list = find("ol", "transcript-list", null, (ol) => { earlierButton.after(ol); });
        const latestButton = find("button", "transcript-latest", "Show the latest events", (b) => { b.type = "button"; list.after(b); });
        list.classList.add("transcript");
        // The list scrolls by itself; a keyboard reaches it too.
        list.tabIndex = 0;
        if (!list.hasAttribute("aria-label")) { list.setAttribute("aria-label", "Transcript"); }
        earlierButton.hidden = true;
        latestButton.hidden = true;

        let earlier = null;     // the `before` of the page ahead of the first entry shown; null at the task's start
        let lastSeq = 0;        // the newest event shown
        let open = [];          // tool calls shown whose result has not arrived: { id, li, last }
        let detached = false;   // the newest entries are not shown (earlier pages pushed them out, or the reader was
                                // scrolled back as live ones piled up): they wait for "Show the latest events"
        let loading = false;    // the newest page is being read; live entries wait in `pending`
        let pending = [];
        let source = null;
        let state = "";         // what the status says about following the task, shown again after a reload

        function find(tag, id, text, place) {
            let node = document.getElementById(id);
            if (!node || !section.contains(node)) {
                node = element(tag, null, text);
                node.id = id;
                place(node);
            }
            return node;
        }

        function url(path, params) {
            const parts = [];
            const query = new URLSearchParams(params || {}).toString();
            if (query) { parts.push(query); }
            if (proof) { parts.push(proof); }
            return parts.length ? path + "?" + parts.join("&") : path;
        }

        function say(text) { status.textContent = text; }

        function sayState(text) { state = text; say(text); }

        async function getJson(path, params) {
            const response = await fetch(url(path, params), { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
            if (!response.ok) {
                let detail = "";
                try { detail = (await response.json()).detail || ""; } catch (e) { detail = ""; }
                const error = new Error(response.status === 410 ? "this read-only link has expired" : "HTTP " + response.status + (detail ? ": " + detail : ""));
                error.status = response.status;
                throw error;
            }
            return response.json();
        }

        function render(entry) {
            const kind = Kinds.indexOf(entry.kind) >= 0 ? entry.kind : "other";
            const li = element("li", kind);
            if (entry.is_error) { li.classList.add("error"); }
            if (entry.flagged) { li.classList.add("flagged"); }
            li.setAttribute("data-seq", String(Number(entry.seq)));
            li.setAttribute("data-entry", String(entry.id));
            li.append(element("span", "kind", entry.title || kind));
            const meta = element("span", "seq", "#" + Number(entry.seq) + " ");
            const at = new Date(entry.at);
            if (!isNaN(at.getTime())) {
                const time = element("time", null, at.toLocaleTimeString());
                time.setAttribute("datetime", at.toISOString());
                meta.append(time);
            }
            li.append(meta);
            if (entry.text) {
                li.append(element("pre", "text", entry.text));
            }
            if (entry.truncated) {
                li.append(expandButton(li, entry, "Show all (" + characters(entry.full_length) + " characters)"));
            }
            if (entry.input !== null && entry.input !== undefined) {
                const details = element("details", "input");
                details.append(element("summary", null, "Input"), element("pre", "input", entry.input));
                if (entry.input_truncated) {
                    details.append(expandButton(li, entry, "Show all input (" + characters(entry.input_length) + " characters)"));
                }
                li.append(details);
            }
            return li;
        }

        // Reads the event again without cuts and puts its whole text and input in place of the cut ones.
        function expandButton(li, entry, label) {
            const button = element("button", "expand", label);
            button.type = "button";
            button.addEventListener("click", async () => {
                button.disabled = true;
                button.textContent = "Loading…";
                try {
                    const body = await getJson(base + "/" + encodeURIComponent(String(Number(entry.seq))));
                    const full = (body.entries || []).find((e) => e.id === entry.id);
                    if (!full) { throw new Error("the event is no longer stored"); }
                    const text = li.querySelector(":scope > pre.text");
                    if (text) { text.textContent = full.text; }
                    const input = li.querySelector(":scope > details > pre.input");
                    if (input && full.input !== null && full.input !== undefined) { input.textContent = full.input; }
                    li.querySelectorAll("button.expand").forEach((b) => b.remove());
                    if (full.truncated || full.input_truncated) {
                        li.append(element("p", "cut", "Longer than the dashboard shows; the task's events hold the rest."));
                    }
                } catch (e) {
                    button.disabled = false;
                    button.textContent = label + " — could not load (" + e.message + "); try again";
                }
            });
            return button;
        }

        function markHit(li) {
            if (li.classList.contains("hit")) { return; }
            li.classList.add("hit");
            const label = element("span", "hit-label", "hit a gateway denial");
            const kind = li.querySelector(":scope > span.kind");
            if (kind) { kind.after(label); } else { li.prepend(label); }
        }

        // Adds one entry at the end of `container`, but a gateway denial goes right after the tool call it hit:
        // the newest call in `calls` still waiting for its result.
        function add(entry, container, calls) {
            const li = render(entry);
            if (entry.kind === "denied" && calls.length > 0) {
                const call = calls[calls.length - 1];
                if (call.li.parentNode === container) {
                    call.last.after(li);
                    call.last = li;
                    markHit(call.li);
                    return;
                }
            }
            container.append(li);
            if (entry.kind === "tool" && entry.tool_use_id) {
                calls.push({ id: entry.tool_use_id, li: li, last: li });
                if (calls.length > MaxOpenCalls) { calls.shift(); }
            } else if (entry.kind === "result" && entry.tool_use_id) {
                const at = calls.findIndex((c) => c.id === entry.tool_use_id);
                if (at >= 0) { calls.splice(at, 1); }
            }
        }

        function atBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 40; }

        function setEarlier(value) {
            earlier = value === null || value === undefined ? null : Number(value);
            earlierButton.hidden = earlier === null;
        }

        function noteLast(entries) {
            for (const entry of entries) { lastSeq = Math.max(lastSeq, Number(entry.seq)); }
        }

        // Live entries push the oldest out; the list then starts at a whole event, and "Load earlier" reads from there.
        function trimOldest() {
            if (list.children.length <= MaxItems) { return; }
            const height = list.scrollHeight;
            let cut = -1;
            while (list.children.length > MaxItems) {
                const li = list.firstElementChild;
                cut = Math.max(cut, seqOf(li));
                li.remove();
            }
            // The rest of a split event, and denials placed beside an older call, go too.
            for (const li of Array.from(list.children)) {
                if (seqOf(li) <= cut) { li.remove(); }
            }
            open = open.filter((c) => c.li.isConnected);
            open.forEach((c) => { if (!c.last.isConnected) { c.last = c.li; } });
            list.scrollTop -= height - list.scrollHeight;
            setEarlier(cut + 1);
        }

        // Earlier pages push the newest out; live entries then wait until the reader asks for the latest again.
        function trimNewest() {
            if (list.children.length <= MaxItems) { return; }
            let cut = Infinity;
            while (list.children.length > MaxItems) {
                const li = list.lastElementChild;
                cut = Math.min(cut, seqOf(li));
                li.remove();
            }
            for (const li of Array.from(list.children)) {
                if (seqOf(li) >= cut) { li.remove(); }
            }
            open = [];
            detached = true;
            latestButton.hidden = false;
        }

        function append(entries) {
            const follow = atBottom();
            if (!follow && list.children.length + entries.length > MaxItems) {
                // Pushing the oldest out would take away what the reader scrolled back to: stop here instead, and
                // let them ask for the latest when they are done.
                open = [];
                detached = true;
                latestButton.hidden = false;
                return;
            }
            for (const entry of entries) { add(entry, list, open); }
            noteLast(entries);
            trimOldest();
            if (follow) { list.scrollTop = list.scrollHeight; }
        }

        function live(entries, seq) {
            if (loading) { pending.push({ entries: entries, seq: seq }); return; }
            if (detached) { return; }
            if (seq <= lastSeq) { return; }
            append(entries);
            lastSeq = Math.max(lastSeq, seq);
        }

        async function loadNewest() {
            loading = true;
            pending = [];
            say("Loading…");
            try {
                const page = await getJson(base, { limit: String(PageSize) });
                list.replaceChildren();
                open = [];
                lastSeq = 0;
                detached = false;
                latestButton.hidden = true;
                say(state);
                for (const entry of page.entries || []) { add(entry, list, open); }
                noteLast(page.entries || []);
                setEarlier(page.earlier);
                loading = false;
                for (const item of pending) { live(item.entries, item.seq); }
                pending = [];
                list.scrollTop = list.scrollHeight;
                return true;
            } catch (e) {
                loading = false;
                say("Could not load the transcript: " + e.message);
                return false;
            }
        }

        async function loadEarlier() {
            if (earlier === null) { return; }
            earlierButton.disabled = true;
            earlierButton.textContent = "Loading…";
            try {
                const page = await getJson(base, { before: String(earlier), limit: String(PageSize) });
                const fragment = document.createDocumentFragment();
                const calls = [];
                for (const entry of page.entries || []) { add(entry, fragment, calls); }
                const height = list.scrollHeight;
                const top = list.scrollTop;
                list.prepend(fragment);
                // The entries the reader was looking at stay where they were.
                list.scrollTop = top + (list.scrollHeight - height);
                setEarlier(page.earlier);
                trimNewest();
            } catch (e) {
                say("Could not load earlier events: " + e.message);
            } finally {
                earlierButton.disabled = false;
                earlierButton.textContent = "Load earlier events";
            }
        }

        function follow() {
            source = new EventSource(url(base + "/stream", { after: String(lastSeq) }));
            source.addEventListener("open", () => sayState("Live"));
            source.addEventListener("entries", (event) => {
                let entries;
                try { entries = JSON.parse(event.data); } catch (e) { return; }
                if (!Array.isArray(entries)) { return; }
                const seq = Number(event.lastEventId) || (entries.length ? Number(entries[0].seq) : 0);
                live(entries, seq);
            });
            source.addEventListener("end", (event) => {
                let ended = "";
                try { ended = String(JSON.parse(event.data).state || ""); } catch (e) { ended = ""; }
                source.close();
                sayState(ended ? "Ended: " + ended : "Ended");
            });
            source.addEventListener("expired", () => {
                source.close();
                sayState("This read-only link has expired; ask for a new one to keep following the task.");
            });
            source.addEventListener("error", () => {
                // The browser tries again by itself and says which event it had; closed means it gave up (refused, gone).
                sayState(source.readyState === EventSource.CLOSED ? "Disconnected: reload the page to follow the task again" : "Reconnecting…");
            });
        }

        earlierButton.addEventListener("click", loadEarlier);
        latestButton.addEventListener("click", async () => {
            latestButton.disabled = true;
            await loadNewest();
            latestButton.disabled = false;
        });

        this.start = async function () {
            if (!await loadNewest()) { return; }
            if (final) {
                const state = document.getElementById("task-state");
                sayState(state && state.textContent ? "Ended: " + state.textContent.trim() : "Ended");
            } else {
                sayState("Connecting…");
                follow();
            }
        };
    }

    function start() {
        const section = document.getElementById("transcript");
        const base = section ? section.getAttribute("data-transcript") || "" : "";
        // Only this dashboard's own transcript endpoints are ever asked.
        if (!section || !/^\/ui\/tasks\/[^/?#]+\/transcript$/.test(base) || section.hasAttribute("data-started")) { return; }
        section.setAttribute("data-started", "true");
        new Transcript(section).start();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
