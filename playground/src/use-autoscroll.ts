/**
 * Keeps a scrolling list at its bottom while it grows, until the person scrolls up: then it stays
 * where they put it and `pinned` is false (the page shows "jump to latest"). Scrolling back to the
 * bottom, jumping, or sending pins it again. Growth alone never unpins it: only a scroll position
 * above the one this hook last set counts as the person scrolling up.
 */
import { type RefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

/** How close to the bottom (px) still counts as at the bottom. */
const NEAR_BOTTOM_PX = 40;

/** What `useAutoscroll` gives the page. */
export interface Autoscroll {
  ref: RefObject<HTMLDivElement | null>;
  pinned: boolean;
  /** Scrolls to the bottom and follows again. */
  jump: () => void;
}

/** Follows `content` (anything that changes when the list grows) in the element at `ref`. */
export function useAutoscroll(content: unknown): Autoscroll {
  const ref = useRef<HTMLDivElement>(null);
  const [pinned, setPinned] = useState(true);
  const pinnedRef = useRef(true);
  const setBy = useRef(0);

  const pin = useCallback((value: boolean) => {
    pinnedRef.current = value;
    setPinned(value);
  }, []);
  const toBottom = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    setBy.current = el.scrollTop;
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `content` is what tells the list grew.
  useLayoutEffect(() => {
    if (pinnedRef.current) toBottom();
  }, [content, toBottom]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
      if (fromBottom <= NEAR_BOTTOM_PX) {
        if (!pinnedRef.current) pin(true);
      } else if (el.scrollTop < setBy.current - 2) {
        if (pinnedRef.current) pin(false);
      }
      if (!pinnedRef.current) setBy.current = el.scrollTop;
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, [pin]);

  const jump = useCallback(() => {
    pin(true);
    toBottom();
  }, [pin, toBottom]);
  return { ref, pinned, jump };
}
