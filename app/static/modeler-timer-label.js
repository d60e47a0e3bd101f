/* A timer's name often states its duration ("24小时未同意" for PT24H). When the duration
 * changes, the name would go on saying the old one: find the old duration in the name —
 * in digits or in Chinese numerals, "24小时", "24 小时", "二十四小时", "两天", "7日" —
 * and propose the same words for the new one. Only single-unit durations (PT24H, P7D,
 * PT30M, P2W) are read; anything else offers nothing. Sets window.TimerLabel. */
(function () {
  "use strict";

  // unit → the words a name may use for it, the usual one first
  var UNITS = {
    Y: ["年"], MO: ["个月", "月"], W: ["周", "个星期", "星期"], D: ["天", "日"],
    H: ["小时", "个小时", "钟头"], MI: ["分钟", "分"], S: ["秒钟", "秒"]
  };
  var DIGITS = "零一二三四五六七八九";
  var NUMERAL = "[0-9０-９零一二两三四五六七八九十百]";

  /* "PT24H" → {count: 24, unit: "H"}; null for anything not one plain unit. */
  function parse(iso) {
    var match = /^P(?:(\d+)([YMWD])|T(\d+)([HMS]))$/i.exec(String(iso || "").trim());
    if (!match) {
      return null;
    }
    if (match[1]) {
      var dateUnit = match[2].toUpperCase();
      return { count: parseInt(match[1], 10), unit: dateUnit === "M" ? "MO" : dateUnit };
    }
    var timeUnit = match[4].toUpperCase();
    return { count: parseInt(match[3], 10), unit: timeUnit === "M" ? "MI" : timeUnit };
  }

  /* 2 → "两", 12 → "十二", 24 → "二十四"; numbers over 99 are only written in digits. */
  function chinese(n) {
    if (n === 2) {
      return "两";
    }
    if (n < 10) {
      return DIGITS[n];
    }
    if (n > 99) {
      return null;
    }
    var tens = Math.floor(n / 10), ones = n % 10;
    return (tens === 1 ? "" : DIGITS[tens]) + "十" + (ones ? DIGITS[ones] : "");
  }

  function escape(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /* How the name writes the old duration: {text, chinese, space, word}, or null. */
  function find(name, duration) {
    var forms = [{ text: String(duration.count), chinese: false }];
    var written = chinese(duration.count);
    if (written) {
      forms.push({ text: written, chinese: true });
      if (duration.count === 2) {
        forms.push({ text: "二", chinese: true });
      }
    }
    var words = UNITS[duration.unit];
    for (var f = 0; f < forms.length; f++) {
      for (var w = 0; w < words.length; w++) {
        var pattern = new RegExp("(?<!" + NUMERAL + ")" + escape(forms[f].text) + "(\\s?)" + escape(words[w]));
        var match = pattern.exec(name);
        if (match) {
          return { text: match[0], chinese: forms[f].chinese, space: match[1], word: words[w] };
        }
      }
    }
    return null;
  }

  /* {old, new, name}: the words to replace and the whole new name, or null. */
  function offer(name, oldIso, newIso) {
    var before = parse(oldIso), after = parse(newIso);
    if (!name || !before || !after || (before.count === after.count && before.unit === after.unit)) {
      return null;
    }
    var found = find(name, before);
    if (!found) {
      return null;
    }
    var number = found.chinese ? chinese(after.count) : null;
    var word = after.unit === before.unit ? found.word : UNITS[after.unit][0];
    var replacement = (number || String(after.count)) + found.space + word;
    return { old: found.text, new: replacement, name: name.replace(found.text, replacement) };
  }

  window.TimerLabel = { offer: offer };
})();
