import { test } from "node:test";
import assert from "node:assert/strict";
import { nearestInDirection } from "../../../webview/src/viewport";

test("arrow keys move to the nearest node on that side, straight ahead first", () => {
  const box = (x: number, y: number) => ({ x, y, w: 40, h: 20 });
  const boxes = new Map([
    ["top", box(100, 0)],
    ["below", box(100, 100)],
    ["below-far-left", box(-100, 60)],
    ["right", box(200, 0)],
  ]);
  assert.equal(nearestInDirection(boxes, "top", "down"), "below");
  assert.equal(nearestInDirection(boxes, "top", "right"), "right");
  assert.equal(nearestInDirection(boxes, "top", "left"), "below-far-left");
  assert.equal(nearestInDirection(boxes, "top", "up"), null);
  assert.equal(nearestInDirection(boxes, "nowhere", "up"), null);
});
