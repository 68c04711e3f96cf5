// Mood page: draws the listener's days with Chart.js (valence and energy lines, plays as bars) from the
// page's JSON (#mood-data). The table under the chart holds the same days for screen readers and
// for anyone without scripts; colours come from mood.css, so the table's swatches and the points agree.
(() => {
  "use strict";
  const canvas = document.getElementById("mood-chart");
  const source = document.getElementById("mood-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;
  const days = JSON.parse(source.textContent).days;

  const style = getComputedStyle(canvas.closest(".mood-page") || document.documentElement);
  const css = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const text = css("--text", "#e8eaf0");
  const muted = css("--muted", "#9aa3b2");
  const neutral = css("--mood-neutral", muted);
  const moodColour = (label) => css(`--mood-${label}`, neutral);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  const Chart = window.Chart;
  Chart.defaults.color = muted;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  new Chart(canvas, {
    type: "bar",
    data: {
      labels: days.map((day) => day.name),
      datasets: [
        {
          type: "line",
          label: "Valence",
          yAxisID: "mood",
          data: days.map((day) => day.valence),
          borderColor: text,
          backgroundColor: text,
          pointBackgroundColor: days.map((day) => moodColour(day.label)),
          pointBorderColor: days.map((day) => moodColour(day.label)),
          pointRadius: 5,
          pointHoverRadius: 7,
          borderWidth: 2,
          spanGaps: true,
          tension: 0.25,
          order: 1,
        },
        {
          type: "line",
          label: "Energy",
          yAxisID: "mood",
          data: days.map((day) => day.arousal),
          borderColor: css("--line-energy", "#1ed760"),
          backgroundColor: css("--line-energy", "#1ed760"),
          borderDash: [6, 4],
          borderWidth: 2,
          pointStyle: "triangle",
          pointRadius: 4,
          spanGaps: true,
          tension: 0.25,
          order: 2,
        },
        {
          type: "bar",
          label: "Plays",
          yAxisID: "plays",
          data: days.map((day) => day.plays || null),
          backgroundColor: css("--bar-plays", "rgba(142, 203, 255, .3)"),
          maxBarThickness: 16,
          // A year of days leaves a bar a pixel or two: let them touch so they still show.
          barPercentage: days.length > 60 ? 1 : 0.9,
          categoryPercentage: days.length > 60 ? 1 : 0.8,
          order: 3,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 400 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
        mood: {
          position: "left",
          min: -1,
          max: 1,
          ticks: { stepSize: 0.5 },
          grid: { color: css("--chart-grid", "#2a2f3a") },
          title: { display: true, text: "valence · energy" },
        },
        plays: {
          position: "right",
          beginAtZero: true,
          grid: { display: false },
          ticks: { precision: 0 },
          title: { display: true, text: "plays" },
        },
      },
      plugins: {
        legend: { labels: { color: text, usePointStyle: true } },
        tooltip: {
          callbacks: {
            afterBody: (items) => {
              const day = days[items[0].dataIndex];
              const lines = [];
              if (day.shown) lines.push(`Mood: ${day.shown} (${plural(day.messages, "message")})`);
              if (day.artists.length) lines.push(`Most played: ${day.artists.join(", ")}`);
              return lines;
            },
          },
        },
      },
    },
  });
})();
