/* playground.js: the RMSprop playground and the book's interactive figures.

   Renders every <div class="rmsprop-playground" data-…> of the page: form controls for η, ρ,
   ε, μ and the rest, and three SVG plots drawn from the paths that RMSpropPort (rmsprop_port.js,
   loaded first) computes in the page: every point plotted is the port's own number, and
   tests/test_playground.py checks the paths read back from a page against rmsprop_ref.

   One global, RMSpropPlayground:
     render(element, options)   (re)build one container; options override its data attributes
     paths(element)             {RMSprop: {params, loss, grads, divergedAt, settings}, SGD: …}
     state(element)             the current settings (eta, rho, epsilon, …) of the container
     set(element, settings)     change settings as the controls would, and redraw
     format(x, digits)          a number as the book writes it: 0.003, 6900, 10⁴, 2.5×10⁻⁵

   Data attributes (all optional; the defaults are the playground's):
     data-problem     bowl | rotated | rosenbrock | cliff
     data-eta, data-rho, data-epsilon, data-momentum, data-steps, data-clip, data-eta-sgd
     data-placement   inside | outside (where ε goes)
     data-start       "-5,-2"
     data-compare     comparators shown at first, from sgd, momentum, clip, adam ("" for none)
     data-controls    the controls offered, from eta, rho, epsilon, placement, momentum,
                      problem, start, compare, steps, etasgd, clip (default: all)
     data-plots       from contour, loss, step, coords (default: contour, loss, step)
     data-tries       "off" hides the "what to try" list (shown by default with all controls)
   A container with data-controls other than all of them is a "figure": the chapters use it. */
(function (root) {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  // rmsprop_ref.book.plots.OPTIMIZER_COLORS: the same colour for an optimizer across the book
  var COLORS = {"RMSprop": "#1f77b4", "SGD": "#7f7f7f", "SGD + momentum": "#2ca02c",
                "SGD + clipping": "#9467bd", "Adam": "#d62728"};
  // rmsprop_ref.problems.ill_conditioned_quadratic(45).hessian, as NumPy rounds it, so that the
  // rotated bowl's paths are rmsprop_ref's to the last bit (the port's own H differs in a last bit)
  var HESSIAN_45 = [[2.0999999999999996, -1.9], [-1.9, 2.1]];

  var PROBLEMS = {
    bowl: {label: "bowl 0.1θ₁² + 2θ₂²", start: [-5, -2], x: [-5.5, 1.5], y: [-2.5, 2.5],
           make: function (P) { return P.problems.quadratic({}); }},
    rotated: {label: "the same bowl rotated 45°", start: [-5, -2], x: [-6, 4], y: [-5, 4],
              make: function (P) { return P.problems.quadratic({hessian: HESSIAN_45}); }},
    rosenbrock: {label: "Rosenbrock's valley", start: [-1.5, 2], x: [-2, 2], y: [-1, 3],
                 make: function (P) { return P.problems.rosenbrock({}); }},
    // the exploding chapter's cliff: T = 20, h₀ = 0.5, teacher (5, −2.5), its figure's window
    cliff: {label: "the cliff (recurrent unit, T = 20)", start: [6, -3.5], x: [2, 10], y: [-6, 0],
            names: ["w", "b"], linear: true,
            make: function (P) { return P.problems.recurrentCliff({unroll: 20}); }},
  };

  function decades(lo, hi, mantissas) {
    var out = [];
    for (var e = lo; e <= hi; e++)
      mantissas.forEach(function (m) { out.push(Number(m + "e" + e)); });  // "4e-1" is 0.4 exactly
    return out;
  }
  var STOPS = {
    eta: decades(-4, 0, [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8]).concat([10]),
    rho: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999],
    epsilon: [0].concat(decades(-12, 2, [1])),  // the lowest stop is ε = 0
    momentum: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
  };
  STOPS.etasgd = [null].concat(STOPS.eta);  // null: SGD takes RMSprop's η

  // The deriving chapter's first figure (book/deriving.ipynb, "the whole story of this chapter in
  // one picture"): SGD(0.4) and RMSprop(0.4) (ρ = 0.9, Keras's ε = 10⁻⁷ inside the root) on
  // the bowl, 20 steps from (−5, −2).
  var DEFAULTS = {problem: "bowl", eta: 0.4, rho: 0.9, epsilon: 1e-7, inSqrt: true, momentum: 0,
                  etaSgd: null, start: null, steps: 20, clip: 1, compare: ["sgd"]};
  var ALL_CONTROLS = ["problem", "eta", "rho", "epsilon", "placement", "momentum", "start", "steps",
                      "compare", "etasgd", "clip"];
  var COMPARATORS = {
    sgd: {name: "SGD", label: "SGD (η of the SGD slider)"},
    momentum: {name: "SGD + momentum", label: "momentum SGD (μ = 0.9)"},
    clip: {name: "SGD + clipping", label: "SGD + norm clipping at c"},
    adam: {name: "Adam", label: "Adam (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸)"},
  };

  // Each statement checked with rmsprop_ref on the named settings (the numbers in the test module).
  var TRIES = [
    {label: "ρ = 0: sign descent", set: {rho: 0, epsilon: 0},
     text: "The average forgets all but the current g², so each step is η·sign(g): the step plot is flat at 1 in both coordinates."},
    {label: "ε = 100: SGD in disguise", set: {eta: 4, epsilon: 100, etaSgd: 0.4},
     text: "On this bowl √(v + ε) stays within 4 % of √100 = 10, so RMSprop at η = 4 takes nearly the steps of SGD at η/√ε = 0.4: the two paths almost coincide."},
    {label: "Rotate the bowl", set: {problem: "rotated"},
     text: "Along the diagonals each coordinate's gradient mixes both curvatures, and the per-coordinate scaling loses its edge: after 20 steps RMSprop's loss is about twice SGD's."},
    {label: "η = 0.6: past SGD's limit", set: {eta: 0.6},
     text: "Beyond η = 2/4 = 0.5 SGD's steep coordinate grows at every step; RMSprop's step does not depend on the size of the gradient, and it converges."},
    {label: "ρ = 0.99: a long first step", set: {rho: 0.99, epsilon: 0},
     text: "With v₀ = 0 the first step is η/√(1 − ρ) in every coordinate, 10η here: the step plot starts on its bound."},
    {label: "Constant η: a two-step cycle", set: {eta: 0.1, epsilon: 0, steps: 300},
     text: "Near the minimum each coordinate jumps between ±η/2, and the loss stalls at ½(0.2 + 4)(η/2)² ≈ 0.00525."},
    {label: "μ = 0.9 on the cliff", set: {problem: "cliff", eta: 0.01, momentum: 0.9, steps: 200},
     text: "Momentum raises the bound on a step to η/((1 − μ)√(1 − ρ)) ≈ 31.6η: the steps pass η/√(1 − ρ) ≈ 3.16η, and the run ends far lower than with μ = 0."},
  ];

  var CAPTIONS = {
    contour: function (n, clickable) {
      return "The paths on the contour lines of the loss (evenly spaced in " +
             "log-loss, or in loss on the cliff)" + (clickable ? "; click to set the start." : ".");
    },
    loss: function () { return "The loss against the step."; },
    step: function (n) {
      return "RMSprop's step in units of η, |Δθᵢ|/η: solid " + n[0] + ", dashed " + n[1] + "; the straight dashed line is the step bound.";
    },
    coords: function (n) {
      return "RMSprop's distance to the minimum: solid |" + n[0] + " − " + n[0] + "*|, dashed |" + n[1] + " − " + n[1] +
             "*|; the straight dashed line is η/2, the two-step cycle's amplitude as ε → 0.";
    },
  };

  var counter = 0;

  // ------------------------------------------------------------------------ numbers as text

  var SUPER = {"-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶",
               "7": "⁷", "8": "⁸", "9": "⁹"};
  function power(e) { return "10" + String(e).split("").map(function (c) { return SUPER[c]; }).join(""); }
  function minus(s) { return s.replace(/^-/, "−"); }
  // rmsprop_ref.book.plots.plain_number: 0.003, 6900, 10⁴, 2.5×10⁻⁵, never 1e+04
  function format(x, digits) {
    digits = digits || 3;
    if (x === 0) return "0";
    if (x !== x) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "−inf";
    var e = Math.floor(Math.log10(Math.abs(x)));
    var m = Number((x / Math.pow(10, e)).toFixed(digits - 1));
    if (Math.abs(m) >= 10) { m /= 10; e += 1; }
    if (e >= -3 && e < 4) return minus(String(Number(x.toPrecision(digits))));
    return (Math.abs(m) === 1 ? (m < 0 ? "−" : "") : minus(String(m)) + "×") + power(e);
  }

  // ------------------------------------------------------------------------ settings

  function parseList(text) {
    return text.split(",").map(function (s) { return s.trim().toLowerCase(); }).filter(Boolean);
  }
  function fromData(el) {
    var d = el.dataset, o = {};
    if (d.problem) o.problem = d.problem;
    ["eta", "rho", "epsilon", "momentum", "steps", "clip"].forEach(function (k) {
      if (d[k] !== undefined) o[k] = Number(d[k]);
    });
    if (d.etaSgd !== undefined) o.etaSgd = d.etaSgd === "" ? null : Number(d.etaSgd);
    if (d.placement) o.inSqrt = d.placement !== "outside";
    if (d.start) o.start = d.start.split(",").map(Number);
    if (d.compare !== undefined) o.compare = parseList(d.compare);
    if (d.controls) o.controls = parseList(d.controls);
    if (d.plots) o.plots = parseList(d.plots);
    if (d.tries) o.tries = d.tries !== "off";
    return o;
  }
  function merge(a, b) {
    var out = {};
    [a, b].forEach(function (src) { Object.keys(src || {}).forEach(function (k) { out[k] = src[k]; }); });
    return out;
  }
  function nearest(stops, x) {
    var best = 0;
    stops.forEach(function (s, i) {
      if (s === null || x === null) { if (s === x) best = i; return; }
      if (stops[best] === null || Math.abs(Math.log((s || 1e-300) / (x || 1e-300))) <
          Math.abs(Math.log((stops[best] || 1e-300) / (x || 1e-300)))) best = i;
    });
    return best;
  }

  // ------------------------------------------------------------------------ runs

  function runAll(s) {
    var P = root.RMSpropPort, problem = PROBLEMS[s.problem].make(P), start = s.start.slice();
    var etaSgd = s.etaSgd === null ? s.eta : s.etaSgd;
    var specs = [{name: "RMSprop", kind: "rmsprop", options: {learningRate: s.eta, rho: s.rho,
                  epsilon: s.epsilon, epsilonInSqrt: s.inSqrt, momentum: s.momentum}, run: {}}];
    if (s.compare.indexOf("sgd") >= 0)
      specs.push({name: "SGD", kind: "sgd", options: {learningRate: etaSgd}, run: {}});
    if (s.compare.indexOf("momentum") >= 0)
      specs.push({name: "SGD + momentum", kind: "sgd", options: {learningRate: etaSgd, momentum: 0.9}, run: {}});
    if (s.compare.indexOf("clip") >= 0)
      specs.push({name: "SGD + clipping", kind: "sgd", options: {learningRate: etaSgd}, run: {clipNorm: s.clip}});
    if (s.compare.indexOf("adam") >= 0)
      specs.push({name: "Adam", kind: "adam", options: {learningRate: s.eta}, run: {}});
    var out = {};
    specs.forEach(function (spec) {
      var result = P.minimize(problem, P.optimizers[spec.kind](spec.options), start, s.steps, spec.run);
      result.settings = {optimizer: spec.kind, options: spec.options, run: spec.run,
                         problem: s.problem, start: start, steps: s.steps};
      out[spec.name] = result;
    });
    return {problem: problem, paths: out};
  }

  // ------------------------------------------------------------------------ SVG helpers

  function node(parent, tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function html(parent, tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function clampPx(v) { return Math.max(-1e4, Math.min(1e4, v)); }

  function linearTicks(lo, hi) {
    var raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 5, 10].forEach(function (f) { if (raw > f * mag * 0.99) step = f * mag; });
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
    return ticks;
  }
  function logTicks(lo, hi) {  // lo, hi: decades
    var every = Math.max(1, Math.ceil((hi - lo) / 6)), ticks = [];
    for (var e = lo; e <= hi; e++) if ((e - lo) % every === 0) ticks.push(e);
    return ticks;
  }
  function decadeLabel(e) { return e >= -3 && e <= 3 ? format(Math.pow(10, e)) : power(e); }

  // A plot frame: axes, ticks, labels and a clip path; returns data → pixel maps.
  function frame(svg, id, spec) {
    var W = spec.width, H = spec.height, L = 72, R = 12, T = 14, B = 44;
    var x0 = spec.x[0], x1 = spec.x[1], y0 = spec.y[0], y1 = spec.y[1];
    var sx = function (v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
    var sy = spec.ylog ? function (v) { return T + (y1 - Math.log10(v)) / (y1 - y0) * (H - T - B); }
                       : function (v) { return T + (y1 - v) / (y1 - y0) * (H - T - B); };
    node(svg, "rect", {x: L, y: T, width: W - L - R, height: H - T - B, "class": "rp-area"});
    var clip = node(node(svg, "defs"), "clipPath", {id: id + "-clip"});
    node(clip, "rect", {x: L, y: T, width: W - L - R, height: H - T - B});
    var axis = node(svg, "g", {"class": "rp-axis"});
    linearTicks(x0, x1).forEach(function (t) {
      node(axis, "line", {x1: sx(t), x2: sx(t), y1: H - B, y2: H - B + 4});
      node(axis, "text", {x: sx(t), y: H - B + 16, "text-anchor": "middle"}, minus(String(t)));
    });
    (spec.ylog ? logTicks(y0, y1) : linearTicks(y0, y1)).forEach(function (t) {
      var py = spec.ylog ? sy(Math.pow(10, t)) : sy(t);
      node(axis, "line", {x1: L - 4, x2: L, y1: py, y2: py});
      if (spec.ylog) node(axis, "line", {x1: L, x2: W - R, y1: py, y2: py, "class": "rp-grid"});
      node(axis, "text", {x: L - 6, y: py + 4, "text-anchor": "end"},
           spec.ylog ? decadeLabel(t) : minus(String(t)));
    });
    node(axis, "text", {x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", "class": "rp-label"}, spec.xlabel);
    node(axis, "text", {x: 16, y: (T + H - B) / 2, "text-anchor": "middle", "class": "rp-label",
                        transform: "rotate(-90 16 " + (T + H - B) / 2 + ")"}, spec.ylabel);
    var plot = node(svg, "g", {"clip-path": "url(#" + id + "-clip)"});
    return {sx: sx, sy: sy, plot: plot, L: L, R: R, T: T, B: B, W: W, H: H};
  }

  function polyline(g, pts, attrs) {
    if (pts.length < 1) return null;
    attrs.points = pts.map(function (p) { return clampPx(p[0]).toFixed(1) + "," + clampPx(p[1]).toFixed(1); }).join(" ");
    attrs.fill = "none";
    return node(g, "polyline", attrs);
  }

  // ------------------------------------------------------------------------ contours

  // Marching squares on a grid of heights: one SVG path per level (segments, not joined).
  function contours(problem, spec, f) {
    var n = 81, xs = [], ys = [], z = [], i, j;
    for (i = 0; i < n; i++) {
      xs.push(spec.x[0] + (spec.x[1] - spec.x[0]) * i / (n - 1));
      ys.push(spec.y[0] + (spec.y[1] - spec.y[0]) * i / (n - 1));
    }
    var lowest = Infinity, highest = 0;
    for (j = 0; j < n; j++) for (i = 0; i < n; i++) {
      var v = problem.value([xs[i], ys[j]]);  // every problem here has minimum 0
      z.push(v);
      if (v > 0 && v < lowest) lowest = v;
      if (v > highest) highest = v;
    }
    var levels = [], count = spec.linear ? 15 : 20;
    if (!spec.linear) z = z.map(function (v) { return Math.log10(Math.max(v, lowest)); });
    var lo = spec.linear ? 0 : Math.log10(lowest), hi = spec.linear ? highest : Math.log10(highest);
    for (i = 1; i < count - 1; i++) levels.push(lo + (hi - lo) * i / (count - 1));
    var d = [];
    levels.forEach(function (level) {
      for (j = 0; j < n - 1; j++) for (i = 0; i < n - 1; i++) {
        var corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]], pts = [];
        for (var k = 0; k < 4; k++) {
          var a = corners[k], b = corners[(k + 1) % 4];
          var za = z[a[1] * n + a[0]], zb = z[b[1] * n + b[0]];
          if ((za < level) !== (zb < level)) {
            var t = (level - za) / (zb - za);
            pts.push([f.sx(xs[a[0]] + t * (xs[b[0]] - xs[a[0]])), f.sy(ys[a[1]] + t * (ys[b[1]] - ys[a[1]]))]);
          }
        }
        for (k = 0; k + 1 < pts.length; k += 2)
          d.push("M" + pts[k][0].toFixed(1) + " " + pts[k][1].toFixed(1) + "L" +
                 pts[k + 1][0].toFixed(1) + " " + pts[k + 1][1].toFixed(1));
      }
    });
    return d.join("");
  }

  // ------------------------------------------------------------------------ the three plots

  function finitePrefix(result) {  // the points drawn: up to the divergence, finite ones only
    var last = result.divergedAt === null ? result.params.length - 1 : result.divergedAt;
    var out = [];
    for (var k = 0; k <= last; k++) if (result.params[k].every(isFinite)) out.push(k);
    return out;
  }

  function drawContour(pg, svg, runs, s) {
    var spec = PROBLEMS[s.problem], names = spec.names || ["θ₁", "θ₂"];
    var f = frame(svg, pg.id + "-c", {width: 480, height: 360, x: spec.x, y: spec.y,
                                      xlabel: names[0], ylabel: names[1]});
    pg.contourFrame = f;
    var key = s.problem;
    if (!pg.contourCache[key]) pg.contourCache[key] = contours(runs.problem, {x: spec.x, y: spec.y, linear: spec.linear}, f);
    node(f.plot, "path", {d: pg.contourCache[key], "class": "rp-contour"});
    if (s.problem === "cliff") {  // b = 0.5 − w·σ(0.5), where h₀ = 0.5 is the unstable fixed point
      var sig = root.RMSpropPort.sigmoid(0.5), pts = [];
      for (var w = 1 / (sig * (1 - sig)); w <= 10.01; w += 0.25) pts.push([f.sx(w), f.sy(0.5 - w * sig)]);
      polyline(f.plot, pts, {"class": "rp-cliff"});
    }
    var m = runs.problem.minimizer;
    node(f.plot, "path", {d: star(f.sx(m[0]), f.sy(m[1]), 7), "class": "rp-minimum"});
    Object.keys(runs.paths).reverse().forEach(function (name) {
      var r = runs.paths[name], ks = finitePrefix(r), color = COLORS[name];
      var pts = ks.map(function (k) { return [f.sx(r.params[k][0]), f.sy(r.params[k][1])]; });
      var attrs = {stroke: color, "stroke-width": 1.6, "class": "rp-path", "data-name": name};
      if (s.steps <= 300) {
        attrs["marker-mid"] = attrs["marker-end"] = "url(#" + pg.id + "-m-" + name.replace(/\W+/g, "") + ")";
      }
      polyline(f.plot, pts, attrs);
      if (r.divergedAt !== null && pts.length) cross(f.plot, pts[pts.length - 1], color);
    });
    node(f.plot, "circle", {cx: f.sx(s.start[0]), cy: f.sy(s.start[1]), r: 4.5, "class": "rp-start"});
    var defs = node(svg, "defs");
    Object.keys(COLORS).forEach(function (name) {
      var mk = node(defs, "marker", {id: pg.id + "-m-" + name.replace(/\W+/g, ""), viewBox: "0 0 6 6",
                                     refX: 3, refY: 3, markerWidth: 3, markerHeight: 3});
      node(mk, "circle", {cx: 3, cy: 3, r: 2.4, fill: COLORS[name]});
    });
  }
  function star(cx, cy, r) {
    var d = "";
    for (var i = 0; i < 10; i++) {
      var a = Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? r * 0.45 : r;
      d += (i ? "L" : "M") + (cx + rr * Math.cos(a)).toFixed(1) + " " + (cy - rr * Math.sin(a)).toFixed(1);
    }
    return d + "Z";
  }
  function cross(g, p, color) {
    var x = clampPx(p[0]), y = clampPx(p[1]), r = 5;
    node(g, "path", {d: "M" + (x - r) + " " + (y - r) + "L" + (x + r) + " " + (y + r) + "M" + (x - r) + " " +
                        (y + r) + "L" + (x + r) + " " + (y - r), stroke: color, "stroke-width": 2.5,
                     "class": "rp-diverged"});
  }

  // A log-y line plot of named series: {points: [[step, value], …], color, dash}; lines: dashed
  // horizontal references {value, label}.
  function drawLog(pg, svg, key, series, lines, xlabel, ylabel, steps) {
    var values = [];
    series.forEach(function (sr) { sr.points.forEach(function (p) { if (p[1] > 0 && isFinite(p[1])) values.push(p[1]); }); });
    lines.forEach(function (l) { values.push(l.value); });
    var top = values.length ? Math.max.apply(null, values) : 1;
    var bottom = values.length ? Math.min.apply(null, values) : 0.1;
    // room above a reference line for its label
    var hi = Math.ceil(Math.log10(top) + (lines.length ? 0.3 : 1e-9)), lo = Math.floor(Math.log10(bottom) - 1e-9);
    if (hi - lo < 1) lo = hi - 1;
    if (hi - lo > 30) lo = hi - 30;  // a floor: 30 decades below the largest value
    var f = frame(svg, pg.id + "-" + key, {width: 480, height: 260, x: [0, steps], y: [lo, hi], ylog: true,
                                           xlabel: xlabel, ylabel: ylabel});
    var floor = Math.pow(10, lo);
    lines.forEach(function (l) {
      node(f.plot, "line", {x1: f.sx(0), x2: f.sx(steps), y1: f.sy(l.value), y2: f.sy(l.value),
                            "class": "rp-bound", stroke: COLORS.RMSprop, "stroke-dasharray": l.dash || "6 4"});
      node(svg, "text", {x: f.W - f.R - 4, y: f.sy(l.value) - 4, "text-anchor": "end", "class": "rp-note"}, l.label);
    });
    series.forEach(function (sr) {
      var segment = [];
      function flush() { if (segment.length) polyline(f.plot, segment, {stroke: sr.color, "stroke-width": 1.5,
                         "stroke-dasharray": sr.dash || "none", "class": "rp-line", "data-name": sr.name}); segment = []; }
      sr.points.forEach(function (p) {
        if (!(isFinite(p[1]) && p[1] > 0)) { flush(); return; }  // log scale: a zero breaks the line
        segment.push([f.sx(p[0]), f.sy(Math.max(p[1], floor))]);
      });
      flush();
    });
  }

  function drawLoss(pg, svg, runs, s) {
    var series = Object.keys(runs.paths).map(function (name) {
      var r = runs.paths[name], ks = finitePrefix(r);
      return {name: name, color: COLORS[name], points: ks.map(function (k) { return [k, r.loss[k]]; })};
    });
    drawLog(pg, svg, "l", series, [], "step", "loss (log scale)", s.steps);
  }

  function drawSteps(pg, svg, runs, s) {  // RMSprop's |Δθᵢ|/η per coordinate, and its bound
    var r = runs.paths.RMSprop, ks = finitePrefix(r), names = PROBLEMS[s.problem].names || ["θ₁", "θ₂"];
    var series = [0, 1].map(function (i) {
      var pts = [];
      for (var n = 1; n < ks.length; n++)
        if (ks[n] === ks[n - 1] + 1) pts.push([ks[n], Math.abs(r.params[ks[n]][i] - r.params[ks[n - 1]][i]) / s.eta]);
      return {name: names[i], color: COLORS.RMSprop, dash: i ? "5 3" : "none", points: pts};
    });
    var bound = 1 / Math.sqrt(1 - s.rho), lines = [];
    if (s.momentum > 0) {
      lines.push({value: bound / (1 - s.momentum), label: "bound 1/((1−μ)√(1−ρ)) = " + format(bound / (1 - s.momentum))});
      lines.push({value: bound, label: "1/√(1−ρ) = " + format(bound) + " (the bound at μ = 0)", dash: "2 3"});
    } else {
      lines.push({value: bound, label: "bound 1/√(1−ρ) = " + format(bound)});
    }
    drawLog(pg, svg, "s", series, lines, "step", "|Δθᵢ| / η (log scale)", s.steps);
  }

  function drawCoords(pg, svg, runs, s) {  // |θᵢ − θ*ᵢ| per coordinate against the step, and η/2
    var r = runs.paths.RMSprop, ks = finitePrefix(r), m = runs.problem.minimizer;
    var names = PROBLEMS[s.problem].names || ["θ₁", "θ₂"];
    var series = [0, 1].map(function (i) {
      return {name: names[i], color: COLORS.RMSprop, dash: i ? "5 3" : "none",
              points: ks.map(function (k) { return [k, Math.abs(r.params[k][i] - m[i])]; })};
    });
    drawLog(pg, svg, "d", series, [{value: s.eta / 2, label: "η/2 = " + format(s.eta / 2)}], "step",
            "RMSprop's |θᵢ − θᵢ*| (log scale)", s.steps);
  }

  // ------------------------------------------------------------------------ controls

  function field(form, pg, key, labelText) {
    var wrap = html(form, "div", {"class": "rp-field rp-field-" + key});
    var id = pg.id + "-" + key;
    html(wrap, "label", {"for": id}, labelText);
    return {wrap: wrap, id: id};
  }
  function slider(form, pg, key, labelText, stops, describe) {
    var fd = field(form, pg, key, labelText);
    var input = html(fd.wrap, "input", {type: "range", id: fd.id, min: 0, max: stops.length - 1, step: 1});
    var out = html(fd.wrap, "output", {"for": fd.id, "class": "rp-value"});
    pg.controls[key] = {input: input, stops: stops, out: out, describe: describe};
    input.addEventListener("input", function () {
      pg.state[pg.keyOf[key]] = stops[Number(input.value)];
      update(pg);
    });
    return input;
  }

  // a number box: the runs follow the typing; an incomplete number ("", "-") is ignored
  function listen(input, handler) {
    input.addEventListener("input", handler);
    input.addEventListener("change", handler);
  }

  function buildControls(pg, form, controls) {
    var has = function (k) { return controls.indexOf(k) >= 0; };
    if (has("problem")) {
      var fd = field(form, pg, "problem", "problem");
      var sel = html(fd.wrap, "select", {id: fd.id});
      Object.keys(PROBLEMS).forEach(function (k) { html(sel, "option", {value: k}, PROBLEMS[k].label); });
      sel.addEventListener("change", function () {
        pg.state.problem = sel.value;
        pg.state.start = PROBLEMS[sel.value].start.slice();
        update(pg);
      });
      pg.controls.problem = {input: sel};
    }
    if (has("eta")) slider(form, pg, "eta", "learning rate η", STOPS.eta);
    if (has("rho")) slider(form, pg, "rho", "decay rate ρ", STOPS.rho);
    if (has("epsilon")) slider(form, pg, "epsilon", "ε (lowest stop: ε = 0)", STOPS.epsilon);
    if (has("placement")) {
      var fp = field(form, pg, "placement", "where ε goes");
      var place = html(fp.wrap, "select", {id: fp.id});
      html(place, "option", {value: "inside"}, "inside the root: g/√(v + ε)");
      html(place, "option", {value: "outside"}, "outside the root: g/(√v + ε)");
      place.addEventListener("change", function () { pg.state.inSqrt = place.value === "inside"; update(pg); });
      pg.controls.placement = {input: place};
    }
    if (has("momentum")) slider(form, pg, "momentum", "momentum μ", STOPS.momentum);
    if (has("etasgd")) slider(form, pg, "etasgd", "η of the SGD runs", STOPS.etasgd);
    if (has("steps")) {
      var fs = field(form, pg, "steps", "steps");
      var steps = html(fs.wrap, "input", {type: "number", id: fs.id, min: 1, max: 2000, step: 1});
      listen(steps, function () {
        var n = Math.round(Number(steps.value));
        if (steps.value !== "" && n >= 1 && n <= 2000) { pg.state.steps = n; update(pg); }
      });
      pg.controls.steps = {input: steps};
    }
    if (has("clip")) {
      var fc = field(form, pg, "clip", "clipping threshold c");
      var clip = html(fc.wrap, "input", {type: "number", id: fc.id, min: 0.001, step: "any"});
      listen(clip, function () {
        var c = Number(clip.value);
        if (c > 0 && isFinite(c)) { pg.state.clip = c; update(pg); }
      });
      pg.controls.clip = {input: clip};
    }
    if (has("start")) {
      ["x", "y"].forEach(function (axis, i) {
        var names = function () { return PROBLEMS[pg.state.problem].names || ["θ₁", "θ₂"]; };
        var fx = field(form, pg, "start" + axis, "start " + (i ? "θ₂" : "θ₁"));
        var inp = html(fx.wrap, "input", {type: "number", id: fx.id, step: 0.1});
        listen(inp, function () {
          var v = Number(inp.value);
          if (inp.value !== "" && isFinite(v)) { pg.state.start[i] = v; update(pg); }
        });
        pg.controls["start" + axis] = {input: inp, label: fx.wrap.firstChild, names: names};
      });
    }
    if (has("compare")) {
      var set = html(form, "fieldset", {"class": "rp-compare"});
      html(set, "legend", {}, "beside RMSprop");
      Object.keys(COMPARATORS).forEach(function (k) {
        var id = pg.id + "-cmp-" + k, row = html(set, "div", {"class": "rp-check"});
        var box = html(row, "input", {type: "checkbox", id: id, value: k});
        var lab = html(row, "label", {"for": id});
        html(lab, "span", {"class": "rp-swatch", style: "background:" + COLORS[COMPARATORS[k].name]});
        lab.appendChild(document.createTextNode(COMPARATORS[k].label));
        box.addEventListener("change", function () {
          var c = pg.state.compare.filter(function (x) { return x !== k; });
          if (box.checked) c.push(k);
          pg.state.compare = c;
          update(pg);
        });
        pg.controls["cmp-" + k] = {input: box};
      });
    }
    var reset = html(form, "button", {type: "button", "class": "rp-reset"}, "reset");
    reset.addEventListener("click", function () { pg.state = initial(pg); leaveBoxes(pg); update(pg); });
  }

  // a number box keeps its text while it has the focus; a change made elsewhere takes the focus away
  function leaveBoxes(pg) {
    var active = document.activeElement;
    if (active && active.type === "number" && pg.element.contains(active)) active.blur();
  }

  function syncControls(pg) {
    var s = pg.state, c = pg.controls;
    Object.keys(c).forEach(function (key) {
      var ctl = c[key];
      if (ctl.stops) {
        var value = s[pg.keyOf[key]];
        ctl.input.value = nearest(ctl.stops, value);
        ctl.out.textContent = key === "etasgd" && value === null ? "= RMSprop's η" : format(value);
        ctl.input.setAttribute("aria-valuetext", ctl.out.textContent);
      }
    });
    if (c.problem) c.problem.input.value = s.problem;
    if (c.placement) c.placement.input.value = s.inSqrt ? "inside" : "outside";
    // a box being typed in keeps its text
    if (c.steps && document.activeElement !== c.steps.input) c.steps.input.value = s.steps;
    if (c.clip && document.activeElement !== c.clip.input) c.clip.input.value = s.clip;
    ["x", "y"].forEach(function (axis, i) {
      var ctl = c["start" + axis];
      if (!ctl) return;
      if (document.activeElement !== ctl.input) ctl.input.value = s.start[i];
      ctl.label.textContent = "start " + ctl.names()[i];
    });
    Object.keys(COMPARATORS).forEach(function (k) {
      if (c["cmp-" + k]) c["cmp-" + k].input.checked = s.compare.indexOf(k) >= 0;
    });
  }

  // ------------------------------------------------------------------------ one container

  function initial(pg) {
    var s = merge(DEFAULTS, pg.options);
    s.compare = (s.compare || []).slice();
    s.start = (s.start || PROBLEMS[s.problem].start).slice();
    delete s.controls; delete s.plots; delete s.tries;
    return s;
  }

  function validate(s) {
    if (!PROBLEMS[s.problem]) throw new Error("rmsprop-playground: unknown problem " + JSON.stringify(s.problem) +
                                              "; accepted: " + Object.keys(PROBLEMS).join(", "));
    s.compare.forEach(function (k) {
      if (!COMPARATORS[k]) throw new Error("rmsprop-playground: unknown comparator " + JSON.stringify(k) +
                                           "; accepted: " + Object.keys(COMPARATORS).join(", "));
    });
  }

  function update(pg) {
    var s = pg.state;
    validate(s);
    syncControls(pg);
    var runs = runAll(s);
    pg.element.rmspropPaths = runs.paths;
    pg.plots.forEach(function (p) {
      while (p.svg.firstChild) p.svg.removeChild(p.svg.firstChild);
      ({contour: drawContour, loss: drawLoss, step: drawSteps, coords: drawCoords})[p.kind](pg, p.svg, runs, s);
      p.caption.textContent = CAPTIONS[p.kind](PROBLEMS[s.problem].names || ["θ₁", "θ₂"], p.clickable);
      p.svg.setAttribute("aria-label", p.caption.textContent);
    });
    drawLegend(pg, runs);
    pg.status.textContent = Object.keys(runs.paths).map(function (name) {
      var r = runs.paths[name];
      if (r.divergedAt !== null) return name + ": diverged at step " + r.divergedAt + " (the path stops there)";
      return name + ": loss " + format(r.loss[r.loss.length - 1]) + " after " + s.steps + " steps";
    }).join("; ") + ".";
  }

  function drawLegend(pg, runs) {
    var ul = pg.legend;
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    Object.keys(runs.paths).forEach(function (name) {
      var li = html(ul, "li");
      html(li, "span", {"class": "rp-swatch", style: "background:" + COLORS[name]});
      var s = pg.state, text = name;
      var etaSgd = s.etaSgd === null ? s.eta : s.etaSgd;
      if (name === "RMSprop") text += " (η = " + format(s.eta) + ", ρ = " + format(s.rho) + ", ε = " + format(s.epsilon) +
        (s.inSqrt ? " inside √" : " outside √") + (s.momentum ? ", μ = " + format(s.momentum) : "") + ")";
      else if (name === "Adam") text += " (η = " + format(s.eta) + ")";
      else text += " (η = " + format(etaSgd) + (name === "SGD + clipping" ? ", c = " + format(s.clip) : "") + ")";
      li.appendChild(document.createTextNode(text));
    });
    var li = html(ul, "li", {"class": "rp-key"});
    li.textContent = "● start, ★ minimum, × where a run diverged";
  }

  function render(element, options) {
    var pg = element.rmspropPlayground;
    if (!pg) {
      pg = {element: element, id: "rp" + (++counter), contourCache: {}};
      element.rmspropPlayground = pg;
    }
    pg.options = merge(fromData(element), options);
    pg.controls = {};
    pg.keyOf = {eta: "eta", rho: "rho", epsilon: "epsilon", momentum: "momentum", etasgd: "etaSgd"};
    var controls = pg.options.controls || ALL_CONTROLS;
    var kinds = pg.options.plots || ["contour", "loss", "step"];
    var full = ALL_CONTROLS.every(function (k) { return controls.indexOf(k) >= 0; });
    pg.state = initial(pg);
    validate(pg.state);
    while (element.firstChild) element.removeChild(element.firstChild);
    element.classList.add(full ? "rp-full" : "rp-figure");

    var form = html(element, "form", {"class": "rp-controls", "aria-label": "settings of the runs"});
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    buildControls(pg, form, controls);
    var plots = html(element, "div", {"class": "rp-plots rp-plots-" + kinds.length});
    var clickable = controls.indexOf("start") >= 0;
    pg.plots = kinds.map(function (kind) {
      if (!CAPTIONS[kind]) throw new Error("rmsprop-playground: unknown plot " + JSON.stringify(kind) +
                                          "; accepted: " + Object.keys(CAPTIONS).join(", "));
      var fig = html(plots, "figure", {"class": "rp-plot rp-plot-" + kind});
      var svg = node(fig, "svg", {viewBox: kind === "contour" ? "0 0 480 360" : "0 0 480 260", role: "img"});
      var caption = html(fig, "figcaption");
      if (kind === "contour" && clickable) {
        svg.classList.add("rp-clickable");
        svg.addEventListener("click", function (event) {
          var f = pg.contourFrame, ctm = svg.getScreenCTM();
          if (!f || !ctm) return;
          var p = svg.createSVGPoint();
          p.x = event.clientX; p.y = event.clientY;
          p = p.matrixTransform(ctm.inverse());
          var spec = PROBLEMS[pg.state.problem];
          var x = spec.x[0] + (p.x - f.L) / (f.W - f.L - f.R) * (spec.x[1] - spec.x[0]);
          var y = spec.y[1] - (p.y - f.T) / (f.H - f.T - f.B) * (spec.y[1] - spec.y[0]);
          if (x < spec.x[0] || x > spec.x[1] || y < spec.y[0] || y > spec.y[1]) return;
          pg.state.start = [Number(x.toFixed(2)), Number(y.toFixed(2))];
          leaveBoxes(pg);
          update(pg);
        });
      }
      return {kind: kind, svg: svg, caption: caption, clickable: clickable};
    });
    pg.legend = html(element, "ul", {"class": "rp-legend"});
    pg.status = html(element, "p", {"class": "rp-status", role: "status", "aria-live": "polite"});
    if (pg.options.tries === undefined ? full : pg.options.tries) {
      var tries = html(element, "div", {"class": "rp-tries"});
      html(tries, "p", {"class": "rp-tries-title"}, "What to try (each button resets the other settings):");
      var ul = html(tries, "ul");
      TRIES.forEach(function (t) {
        var li = html(ul, "li"), b = html(li, "button", {type: "button"}, t.label);
        li.appendChild(document.createTextNode(" " + t.text));
        b.addEventListener("click", function () {
          var s = merge(initial(pg), t.set);
          if (t.set.problem) s.start = PROBLEMS[t.set.problem].start.slice();
          s.compare = (t.set.compare || initial(pg).compare).slice();
          if (s.compare.indexOf("sgd") < 0) s.compare.push("sgd");
          pg.state = s;
          leaveBoxes(pg);
          update(pg);
        });
      });
    }
    update(pg);
    return pg;
  }

  function renderAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div.rmsprop-playground"), function (el) {
      try { render(el); } catch (e) {
        el.textContent = "The playground could not start: " + e.message;
        throw e;
      }
    });
  }

  root.RMSpropPlayground = {
    render: render,
    renderAll: renderAll,
    paths: function (element) { return element.rmspropPaths; },
    state: function (element) { return JSON.parse(JSON.stringify(element.rmspropPlayground.state)); },
    set: function (element, settings) {
      var pg = element.rmspropPlayground;
      pg.state = merge(pg.state, settings);
      leaveBoxes(pg);
      if (settings.problem && !settings.start) pg.state.start = PROBLEMS[settings.problem].start.slice();
      update(pg);
    },
    format: format,
    problems: PROBLEMS,
    stops: STOPS,
    tries: TRIES,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})(window);
