/* rmsprop_port.js: rmsprop_ref's update rules and toy problems, in JavaScript, for the book's
   interactive figures (interactive/playground.js draws the playground's and the chapters'
   interactive paths with it; only the pages that hold one load it). The same maths as the Python library,
   operation for operation, so that a path drawn in a page is the path rmsprop_ref computes:
   tests/test_js_port.py runs both in headless Chromium and compares them, the way the other
   frameworks are compared.

   Everything works on plain arrays of numbers (float64, as NumPy's default). One global,
   RMSpropPort, holds:
     problems:   quadratic({curvatures, angleDegrees, hessian}), rosenbrock({a, b}),
                 recurrentCliff({unroll, h0, teacher}): each {dim, value(x), grad(x), minimizer}
     optimizers: rmsprop({...}), sgd({...}), adam({...}): each {init(x), update(x, g, state)}
     minimize(problem, optimizer, x0, steps, {divergenceBound, clipNorm}):
                 {params, loss, grads, divergedAt}, like rmsprop_ref.run.minimize
   Options have rmsprop_ref's names in camelCase and its defaults; an unknown option, or a
   value rmsprop_ref would refuse, throws an Error that names it. */
(function (root) {
  "use strict";

  // ------------------------------------------------------------------------ argument checks

  function options(name, given, defaults) {
    var out = {};
    Object.keys(given || {}).forEach(function (key) {
      if (!(key in defaults))
        throw new Error(name + ": unknown option " + JSON.stringify(key) +
                        "; accepted: " + Object.keys(defaults).join(", "));
    });
    Object.keys(defaults).forEach(function (key) {
      out[key] = given && key in given ? given[key] : defaults[key];
    });
    return out;
  }
  function finite(name, x) {
    if (typeof x !== "number" || !isFinite(x)) throw new Error(name + " must be a finite number; got " + x);
    return x;
  }
  function positive(name, x) {
    if (finite(name, x) <= 0) throw new Error(name + " must be > 0; got " + x);
    return x;
  }
  function nonNegative(name, x) {
    if (finite(name, x) < 0) throw new Error(name + " must be >= 0; got " + x);
    return x;
  }
  function fraction(name, x) {
    if (finite(name, x) < 0 || x >= 1) throw new Error(name + " must be in [0, 1); got " + x);
    return x;
  }
  function flag(name, x) {
    if (typeof x !== "boolean") throw new Error(name + " must be true or false; got " + x);
    return x;
  }
  function zeros(n) { var z = []; for (var i = 0; i < n; i++) z.push(0); return z; }

  // ------------------------------------------------------------------------ problems

  // rmsprop_ref.problems.sigmoid: ½(1 + tanh(z/2)), no overflow for any z.
  function sigmoid(z) { return 0.5 * (1.0 + Math.tanh(0.5 * z)); }

  // Quadratic: f = ½ dᵀHd with H = R·diag(curvatures)·Rᵀ, R rotating the first two axes.
  // `hessian` (a symmetric 2 × 2 array) replaces the one built from the curvatures and the
  // angle: NumPy builds H with a matrix product that may fuse a multiply and an add, so a
  // figure that must match rmsprop_ref to the last bit is handed rmsprop_ref's own H.
  function quadratic(given) {
    var o = options("quadratic", given, {curvatures: [0.2, 4.0], angleDegrees: 0.0, hessian: null});
    if (!Array.isArray(o.curvatures) || o.curvatures.length !== 2)
      throw new Error("quadratic: curvatures must be two numbers > 0; got " + JSON.stringify(o.curvatures));
    var k = o.curvatures.map(function (c) { return positive("curvatures", c); });
    var angle = finite("angleDegrees", o.angleDegrees);
    var radians = angle * (Math.PI / 180.0);  // Python's math.radians: x·(π/180)
    var c = angle === 0 ? 1.0 : Math.cos(radians), s = angle === 0 ? 0.0 : Math.sin(radians);
    var R = [[c, -s], [s, c]];
    var RD = [[R[0][0] * k[0] + R[0][1] * 0.0, R[0][0] * 0.0 + R[0][1] * k[1]],
              [R[1][0] * k[0] + R[1][1] * 0.0, R[1][0] * 0.0 + R[1][1] * k[1]]];
    var H = [[0, 0], [0, 0]];
    for (var i = 0; i < 2; i++)
      for (var j = 0; j < 2; j++) H[i][j] = RD[i][0] * R[j][0] + RD[i][1] * R[j][1];
    var sym = [[0.5 * (H[0][0] + H[0][0]), 0.5 * (H[0][1] + H[1][0])],
               [0.5 * (H[1][0] + H[0][1]), 0.5 * (H[1][1] + H[1][1])]];
    if (o.hessian !== null) {
      var given2 = o.hessian;
      if (!Array.isArray(given2) || given2.length !== 2 || !given2.every(function (r) {
            return Array.isArray(r) && r.length === 2 && r.every(isFinite); }) || given2[0][1] !== given2[1][0])
        throw new Error("quadratic: hessian must be a symmetric 2 × 2 array of finite numbers; got " + JSON.stringify(given2));
      sym = [given2[0].slice(), given2[1].slice()];
    }
    return {
      name: "quadratic", dim: 2, hessian: sym, minimizer: [0, 0],
      grad: function (x) {
        return [x[0] * sym[0][0] + x[1] * sym[1][0], x[0] * sym[0][1] + x[1] * sym[1][1]];
      },
      value: function (x) {
        var g = this.grad(x);
        return 0.5 * (x[0] * g[0] + x[1] * g[1]);
      },
    };
  }

  // Rosenbrock: f = (a − x)² + b·(y − x²)².
  function rosenbrock(given) {
    var o = options("rosenbrock", given, {a: 1.0, b: 100.0});
    var a = finite("a", o.a), b = positive("b", o.b);
    return {
      name: "rosenbrock", dim: 2, minimizer: [a, a * a],
      value: function (x) {
        var u = x[0], inner = x[1] - u * u;
        return (a - u) * (a - u) + b * (inner * inner);
      },
      grad: function (x) {
        var u = x[0], inner = x[1] - u * u;
        return [-2 * (a - u) - 4 * b * u * inner, 2 * b * inner];
      },
    };
  }

  // The one-unit recurrent net of Pascanu et al. (2013): h_t = w·σ(h_{t−1}) + b, loss (h_T − y)².
  function recurrentCliff(given) {
    var o = options("recurrentCliff", given, {unroll: 50, h0: 0.5, teacher: [5.0, -2.5]});
    if (!Number.isInteger(o.unroll) || o.unroll < 1) throw new Error("unroll must be an integer >= 1; got " + o.unroll);
    var h0 = finite("h0", o.h0);
    function states(w, b) {
      var h = [h0];
      for (var t = 0; t < o.unroll; t++) h.push(w * sigmoid(h[t]) + b);
      return h;
    }
    var teacher = o.teacher.map(function (v) { return finite("teacher", v); });
    var target = states(teacher[0], teacher[1])[o.unroll];
    function valueAndGrad(x) {
      var w = x[0], h = states(x[0], x[1]);
      var adjoint = 2 * (h[o.unroll] - target), dw = 0, db = 0;
      var value = (h[o.unroll] - target) * (h[o.unroll] - target);
      for (var t = o.unroll; t > 0; t--) {
        var s = sigmoid(h[t - 1]);
        dw = dw + adjoint * s;
        db = db + adjoint;
        adjoint = adjoint * w * s * (1 - s);
      }
      return [value, [dw, db]];
    }
    return {
      name: "recurrentCliff", dim: 2, minimizer: teacher, target: target,
      value: function (x) { return valueAndGrad(x)[0]; },
      grad: function (x) { return valueAndGrad(x)[1]; },
    };
  }

  // ------------------------------------------------------------------------ optimizers

  // rmsprop_ref.RMSprop (no weight decay, bias correction or clipping options here):
  //   v ← ρv + (1−ρ)g²;  centered: m ← ρm + (1−ρ)g, s = v − m²;  otherwise s = v
  //   u = g/√(s+ε) (epsilonInSqrt) or g/(√s+ε);  θ ← θ − η·u, or through a momentum buffer.
  function rmsprop(given) {
    var o = options("rmsprop", given, {
      learningRate: 0.001, rho: 0.9, epsilon: 1e-7, epsilonInSqrt: true, initialAccumulator: 0.0,
      centered: false, momentum: 0.0, nesterov: false, lrInMomentum: true,
    });
    var lr = positive("learningRate", o.learningRate), rho = fraction("rho", o.rho);
    var eps = nonNegative("epsilon", o.epsilon), mu = fraction("momentum", o.momentum);
    var inSqrt = flag("epsilonInSqrt", o.epsilonInSqrt), centered = flag("centered", o.centered);
    var nesterov = flag("nesterov", o.nesterov), lrInMomentum = flag("lrInMomentum", o.lrInMomentum);
    var v0 = nonNegative("initialAccumulator", o.initialAccumulator);
    if (nesterov && mu === 0) throw new Error("nesterov=true needs momentum > 0; got momentum=0");
    return {
      name: "RMSprop", settings: o,
      init: function (x) {
        return {step: 0, meanSquare: x.map(function () { return v0; }),
                meanGrad: centered ? zeros(x.length) : null, buffer: mu > 0 ? zeros(x.length) : null};
      },
      update: function (x, g, state) {
        var out = [], ms = [], mg = state.meanGrad ? [] : null, buf = state.buffer ? [] : null;
        for (var i = 0; i < x.length; i++) {
          ms[i] = rho * state.meanSquare[i] + (1 - rho) * (g[i] * g[i]);
          var second = ms[i];
          if (mg) {
            mg[i] = rho * state.meanGrad[i] + (1 - rho) * g[i];
            second = ms[i] - mg[i] * mg[i];
          }
          var den = inSqrt ? Math.sqrt(second + eps) : Math.sqrt(second) + eps;
          if (eps === 0 && den === 0) den = Infinity;  // no gradient yet: no step (the ε → 0 limit)
          if (!buf) { out[i] = x[i] - lr * g[i] / den; continue; }
          var stepTaken;
          if (lrInMomentum) {
            var increment = lr * g[i] / den;
            buf[i] = mu * state.buffer[i] + increment;
            stepTaken = nesterov ? increment + mu * buf[i] : buf[i];
          } else {
            var scaled = g[i] / den;
            buf[i] = mu * state.buffer[i] + scaled;
            stepTaken = nesterov ? lr * (scaled + mu * buf[i]) : lr * buf[i];
          }
          out[i] = x[i] - stepTaken;
        }
        return [out, {step: state.step + 1, meanSquare: ms, meanGrad: mg, buffer: buf}];
      },
    };
  }

  // rmsprop_ref.SGD: plain θ ← θ − ηg; momentum b ← μb + g, θ ← θ − ηb; Nesterov θ ← θ − η(g + μb).
  function sgd(given) {
    var o = options("sgd", given, {learningRate: 0.01, momentum: 0.0, nesterov: false});
    var lr = positive("learningRate", o.learningRate), mu = fraction("momentum", o.momentum);
    var nesterov = flag("nesterov", o.nesterov);
    if (nesterov && mu === 0) throw new Error("nesterov=true needs momentum > 0; got momentum=0");
    return {
      name: "SGD", settings: o,
      init: function (x) { return {step: 0, buffer: mu > 0 ? zeros(x.length) : null}; },
      update: function (x, g, state) {
        var out = [], buf = state.buffer ? [] : null;
        for (var i = 0; i < x.length; i++) {
          if (!buf) { out[i] = x[i] - lr * g[i]; continue; }
          buf[i] = mu * state.buffer[i] + g[i];
          out[i] = x[i] - lr * (nesterov ? g[i] + mu * buf[i] : buf[i]);
        }
        return [out, {step: state.step + 1, buffer: buf}];
      },
    };
  }

  // rmsprop_ref.Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − η·m̂/(√v̂ + ε).
  function adam(given) {
    var o = options("adam", given, {learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8});
    var lr = positive("learningRate", o.learningRate), b1 = fraction("beta1", o.beta1);
    var b2 = fraction("beta2", o.beta2), eps = nonNegative("epsilon", o.epsilon);
    return {
      name: "Adam", settings: o,
      init: function (x) { return {step: 0, mean: zeros(x.length), meanSquare: zeros(x.length)}; },
      update: function (x, g, state) {
        var t = state.step + 1, out = [], m = [], v = [];
        for (var i = 0; i < x.length; i++) {
          m[i] = b1 * state.mean[i] + (1 - b1) * g[i];
          v[i] = b2 * state.meanSquare[i] + (1 - b2) * g[i] * g[i];
          var mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
          out[i] = x[i] - lr * mHat / (Math.sqrt(vHat) + eps);
        }
        return [out, {step: t, mean: m, meanSquare: v}];
      },
    };
  }

  // ------------------------------------------------------------------------ a run

  // rmsprop_ref.run.minimize: record θ_k, f(θ_k) and ∇f(θ_k) for k = 0 … steps; stop at the
  // first k where the loss is not finite or exceeds divergenceBound, or θ or ∇f is not finite.
  function minimize(problem, optimizer, x0, steps, given) {
    var o = options("minimize", given, {divergenceBound: 1e12, clipNorm: null});
    if (!Array.isArray(x0) || x0.length !== problem.dim || !x0.every(isFinite))
      throw new Error("x0 must be " + problem.dim + " finite numbers; got " + JSON.stringify(x0));
    if (!Number.isInteger(steps) || steps < 0) throw new Error("steps must be an integer >= 0; got " + steps);
    var bound = positive("divergenceBound", o.divergenceBound);
    var clip = o.clipNorm === null ? null : positive("clipNorm", o.clipNorm);
    var x = x0.slice(), state = optimizer.init(x), params = [], loss = [], grads = [], divergedAt = null;
    for (var k = 0; k <= steps; k++) {
      var f = problem.value(x), g = problem.grad(x);
      params.push(x); loss.push(f); grads.push(g);
      if (!(isFinite(f) && f <= bound && g.every(isFinite) && x.every(isFinite))) { divergedAt = k; break; }
      if (k === steps) break;
      if (clip !== null) {  // rmsprop_ref.run.clip_by_norm: g·min(1, c/‖g‖)
        var norm = Math.sqrt(g.reduce(function (a, gi) { return a + gi * gi; }, 0));
        if (norm > clip) g = g.map(function (gi) { return gi * (clip / norm); });
      }
      var next = optimizer.update(x, g, state);
      x = next[0]; state = next[1];
    }
    return {params: params, loss: loss, grads: grads, divergedAt: divergedAt};
  }

  root.RMSpropPort = {
    problems: {quadratic: quadratic, rosenbrock: rosenbrock, recurrentCliff: recurrentCliff},
    optimizers: {rmsprop: rmsprop, sgd: sgd, adam: adam},
    minimize: minimize,
    sigmoid: sigmoid,
  };
})(typeof window !== "undefined" ? window : globalThis);
