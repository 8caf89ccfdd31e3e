local f(x, y=2, z=x) = x * y + z;
local o = { a:: 1, b+: [2], c::: self.a, [std.toString(1)]: super.b, local l = 3, d: l } + { e: $.c };
{
  n: [f(1), f(1, z=3), f(y=0, x=4) tailstrict],
  c: { [k]: k for k in ['x', 'y'] if k != 'x' },
  s: [x for x in std.range(0, 5) for y in [1] if x % 2 == 0][1::2],
  t: |||
    text %(a)s
  ||| % { a: @'v''b' },
  u: '%-5s|%05.2f|%x' % ['ab', -1.5, 255],
  v: std.mergePatch({ a: { b: 1 } }, { a: { b: null, c: 2 } }),
  w: if 'a' in o then o.e else error 'no',
  x: std.foldl(function(a, b) a + b, std.makeArray(4, function(i) i), 0),
  y: assert 1 < 2 : 'm'; std.sort(['b', 'a'], keyF=function(s) s),
  z: [1e3, 0.5, -0, 1 / 3, "\u00e9\t", std.base64('x'), ~1 & 7 | 1 ^ 2 << 1 >> 1],
}
