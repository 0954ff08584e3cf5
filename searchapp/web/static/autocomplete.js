// Completion under the search box (ARIA 1.2 combobox with a listbox popup).
// Without this file the box is a plain search field and everything still works.
(function () {
  "use strict";

  var KINDS = { partner: "Đối tác", topic: "Chủ đề", phrase: "Cụm từ", title: "Tiêu đề" };
  var DELAY_MS = 120;

  function setUp(input) {
    var form = input.form;
    var endpoint = input.getAttribute("data-suggest");
    if (!form || !endpoint || !window.fetch) {
      return;
    }
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Gợi ý tìm kiếm");
    list.hidden = true;
    form.appendChild(list);

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");

    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;
    var lastAsked = null;

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(suggestions) {
      // A newer answer may arrive after the reader has moved into the list:
      // the suggestion they are on stays chosen if it is still offered.
      var kept = active >= 0 && items[active] ? items[active].text : null;
      items = suggestions;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      suggestions.forEach(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.className = "suggestion-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var text = document.createElement("span");
        text.className = "suggestion-text";
        text.textContent = suggestion.text;
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = (KINDS[suggestion.kind] || "") + (suggestion.label ? " · " + suggestion.label : "");
        option.appendChild(text);
        option.appendChild(kind);
        // mousedown would blur the box and close the list before the click.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
        });
        option.addEventListener("click", function () {
          choose(i);
        });
        list.appendChild(option);
      });
      if (suggestions.length) {
        open();
        status.textContent = suggestions.length + " gợi ý. Dùng phím mũi tên để chọn.";
        var still = suggestions.findIndex(function (suggestion) {
          return suggestion.text === kept;
        });
        if (still >= 0) {
          setActive(still);
        }
      } else {
        close();
        status.textContent = "";
      }
    }

    function choose(index) {
      var suggestion = items[index];
      if (!suggestion) {
        return;
      }
      input.value = suggestion.text;
      close();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    function ask() {
      var text = input.value;
      if (text === lastAsked) {
        return;
      }
      lastAsked = text;
      if (!text.trim()) {
        render([]);
        return;
      }
      var mine = ++sequence;
      var url = endpoint + "?q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          // An older answer arriving late must not replace a newer one.
          if (mine === sequence && document.activeElement === input) {
            render(data.suggestions || []);
          }
        })
        .catch(function () {
          if (mine === sequence) {
            render([]);
          }
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    }

    input.addEventListener("input", function (event) {
      // Vietnamese input methods compose a letter in several keystrokes.
      if (!event.isComposing) {
        later();
      }
    });
    input.addEventListener("compositionend", later);

    input.addEventListener("keydown", function (event) {
      if (event.isComposing) {
        return;
      }
      var count = list.children.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!count) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        // From the last option down, or the first one up, back to the box.
        var next = active + step;
        if (next >= count) {
          next = -1;
        } else if (next < -1) {
          next = count - 1;
        }
        setActive(next);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        } else {
          sequence++; // the search runs now; a late answer must not pop up
          close();
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
    input.addEventListener("focus", function () {
      if (items.length && input.value === lastAsked) {
        open();
      }
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(setUp);
})();
