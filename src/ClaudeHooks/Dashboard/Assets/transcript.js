// The transcript of a task page.
"use strict";
