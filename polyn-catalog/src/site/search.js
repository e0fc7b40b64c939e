// Event catalog search: filters the index as you type, over message names
// and property paths (each entry's data-name and data-properties). Entries
// that do not match get the `hidden` attribute. The first query comes from
// the URL: index.html#q=amount or index.html?q=amount (the hash wins).
(function () {
  "use strict";
  var input = document.getElementById("search");
  var status = document.getElementById("search-status");
  var none = document.getElementById("no-results");
  if (!input) {
    return;
  }
  var messages = Array.prototype.slice.call(document.querySelectorAll("li.message"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("li.group"));
  var total = messages.length;

  function terms(query) {
    return query.toLowerCase().split(/\s+/).filter(function (term) {
      return term.length > 0;
    });
  }

  function properties(entry) {
    var list = entry.getAttribute("data-properties") || "";
    return list.split(" ").filter(function (path) {
      return path.length > 0;
    });
  }

  function show(element, visible) {
    if (visible) {
      element.removeAttribute("hidden");
    } else {
      element.setAttribute("hidden", "");
    }
  }

  function filter(query) {
    var wanted = terms(query);
    var shown = 0;
    messages.forEach(function (entry) {
      var name = (entry.getAttribute("data-name") || "").toLowerCase();
      var paths = properties(entry);
      var lowered = paths.map(function (path) {
        return path.toLowerCase();
      });
      var text = name + " " + lowered.join(" ");
      var matches = wanted.every(function (term) {
        return text.indexOf(term) !== -1;
      });
      show(entry, matches);
      if (matches) {
        shown += 1;
      }
      var matched = entry.querySelector(".matched");
      if (matched) {
        var hits = wanted.length === 0 ? [] : paths.filter(function (path, index) {
          return wanted.some(function (term) {
            return lowered[index].indexOf(term) !== -1;
          });
        });
        matched.textContent = "";
        if (matches && hits.length > 0) {
          matched.appendChild(document.createTextNode("Matching properties: "));
          hits.forEach(function (path, index) {
            if (index > 0) {
              matched.appendChild(document.createTextNode(", "));
            }
            var code = document.createElement("code");
            code.textContent = path;
            matched.appendChild(code);
          });
        }
        show(matched, matches && hits.length > 0);
      }
    });
    groups.forEach(function (group) {
      show(group, group.querySelector("li.message:not([hidden])") !== null);
    });
    if (status) {
      status.textContent = wanted.length === 0
        ? total + (total === 1 ? " message" : " messages")
        : shown + " of " + total + (total === 1 ? " message matches" : " messages match");
      status.setAttribute("data-shown", String(shown));
    }
    if (none) {
      show(none, shown === 0);
    }
    document.body.setAttribute("data-query", query);
  }

  function fromUrl() {
    var hash = window.location.hash.replace(/^#/, "");
    var fromHash = new URLSearchParams(hash).get("q");
    if (fromHash !== null) {
      return fromHash;
    }
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  function remember(query) {
    try {
      window.history.replaceState(null, "", query ? "#q=" + encodeURIComponent(query) : "#");
    } catch (ignored) {
      // Some browsers refuse to change the URL of a file; the search still works.
    }
  }

  function start(query) {
    input.value = query;
    input.setAttribute("value", query);
    filter(query);
  }

  input.addEventListener("input", function () {
    input.setAttribute("value", input.value);
    filter(input.value);
    remember(input.value);
  });
  window.addEventListener("hashchange", function () {
    start(fromUrl());
  });
  start(fromUrl());
})();
