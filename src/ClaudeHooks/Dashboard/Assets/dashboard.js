// claude-hooks dashboard: keeps marked regions live. Everything from the server is put in the page as text
// (textContent), or, for a live region, as the server's own encoded HTML parsed into an inert document.
"use strict";

(function () {
    // A region with data-live="/ui/live/..." is fetched again every few seconds and swapped in place.
    function live(region) {
        if (region.querySelector('[data-final="true"]')) { return; }
        const source = region.getAttribute("data-live");
        const every = Number(region.getAttribute("data-interval") || "2000");
        async function refresh() {
            try {
                const response = await fetch(source, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" });
                if (response.status === 401) { window.location.assign("/ui/signin?return=" + encodeURIComponent(location.pathname + location.search)); return; }
                if (response.ok) {
                    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
                    region.replaceChildren(...Array.from(doc.body.childNodes).map(n => document.adoptNode(n)));
                    region.removeAttribute("data-stale");
                    // A task that has ended changes no more: stop asking.
                    if (region.querySelector('[data-final="true"]')) { return; }
                } else {
                    region.setAttribute("data-stale", "true");
                }
            } catch (e) {
                region.setAttribute("data-stale", "true");
            }
            setTimeout(refresh, every);
        }
        setTimeout(refresh, every);
    }

    document.addEventListener("DOMContentLoaded", () => {
        document.querySelectorAll("[data-live]").forEach(live);
        if (window.claudeHooks && window.claudeHooks.start) { window.claudeHooks.start(); }
    });
})();
