"""One-time verification phrases: four everyday words in the conversation's language.

The words are easy to read aloud and to type. A phrase is compared in a forgiving form
(``canonical``: NFKC, case-folded, without spaces or punctuation), and only its keyed hash is
stored."""

from __future__ import annotations

import re
import secrets
import unicodedata

from django.utils.crypto import salted_hmac

_EN = """
    acorn amber anchor apple arrow autumn badge bamboo banner basket beacon berry
    birch blossom bridge brook bucket cabin cactus camel candle canyon carpet castle
    cedar cherry circle cliff clover cobalt comet copper coral cotton crane crystal
    daisy delta desert dolphin dragon drum eagle echo ember falcon feather fern
    field flame forest fossil fountain garden garnet ginger glacier globe granite harbor
    hazel helmet heron honey horizon island ivory jacket jasmine jungle kettle kite
    ladder lagoon lantern lemon lily linen lotus magnet maple marble meadow melon
    mirror monkey mosaic nectar needle noodle oasis ocean olive orbit orchid otter
    paddle panda paper parrot pebble pepper pillow pine planet plum pocket pony
    prairie puzzle quartz quill rabbit radar rainbow raven reef ribbon river robin
    rocket saddle salmon satin shell silver sketch sparrow spring spruce squirrel star
    stone summer sunset swan temple thunder tiger timber tomato tulip tunnel turtle
    valley velvet violet walnut willow window winter wizard yarn zebra
"""
_ZH = """
    苹果 香蕉 樱桃 葡萄 西瓜 柠檬 橙子 桃子 梨子 草莓 月亮 太阳 星星 白云 彩虹 雪花
    春天 夏天 秋天 冬天 高山 大海 河流 湖泊 森林 草原 沙漠 岛屿 花园 竹子 松树 柳树
    荷花 菊花 梅花 兰花 牡丹 玫瑰 熊猫 老虎 狮子 大象 长城 海豚 孔雀 燕子 喜鹊 鸽子
    蝴蝶 蜜蜂 金鱼 乌龟 兔子 小猫 小狗 骏马 绵羊 黄牛 灯笼 风筝 扇子 雨伞 茶杯 书包
    铅笔 毛笔 砚台 宣纸 钢琴 古筝 笛子 鼓声 桥梁 城墙 宝塔 庭院 窗户 楼梯 花瓶 镜子
    钟表 地图 指环 帆船 火车 飞机 山羊 汽车 面条 饺子 包子 米饭 豆腐 汤圆 月饼 粽子
    蜂蜜 牛奶 咖啡 绿茶 红茶 糖果 饼干 蛋糕 琥珀 珍珠 玉石 水晶 黄金 白银 青铜 钻石
"""
WORDS_EN = tuple(_EN.split())
WORDS_ZH = tuple(_ZH.split())
_NOT_WORD = re.compile(r"[\W_]+")


def words_for(language: str) -> tuple[str, ...]:
    return WORDS_ZH if (language or "").lower().startswith("zh") else WORDS_EN


def generate(language: str, count: int = 4) -> str:
    """A new phrase of ``count`` random words (cryptographic randomness)."""
    words = words_for(language)
    joiner = "·" if words is WORDS_ZH else " "
    return joiner.join(secrets.choice(words) for _ in range(count))


def canonical(phrase: str) -> str:
    """The phrase as compared: NFKC, case-folded, without spaces, dashes or punctuation."""
    text = unicodedata.normalize("NFKC", phrase or "").casefold()
    return _NOT_WORD.sub("", text)


def phrase_hash(phrase: str) -> str:
    """The keyed hash stored for ``phrase`` (without the key, the hashes cannot be reversed
    by trying every combination of words)."""
    return salted_hmac("kefu.trust.phrase", canonical(phrase), algorithm="sha256").hexdigest()
